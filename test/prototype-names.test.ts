import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from './helpers.js';

/**
 * Every table the language and the CLI look names up in (functions, initialisers, optimisers,
 * schedules, data sets, settings, dims, named arguments, data columns, params) sees only its own
 * entries: a name that is a member of `Object.prototype` is an unknown name with its usual
 * located diagnostic where the role has a fixed vocabulary, and an ordinary name where the user
 * chooses it. Never an internal error, and never accepted silently.
 */
const NAMES = Object.getOwnPropertyNames(Object.prototype);
const tmp = mkdtempSync(join(tmpdir(), 'gradus-proto-'));
let counter = 0;
const file = (text: string, ext = 'model'): string => {
  const path = join(tmp, `m${counter++}.${ext}`);
  writeFileSync(path, text);
  return path;
};

const base = (body: string, train = '', data = 'spiral(classes = 2, points = 4)') => `model M {
  dim N, D = 2
  input x: float[N, D]
  param w: [D] init [0.5, -0.25]
  ${body}
  train {
    data = ${data}
    ${train}
  }
}
`;

/** A model statement (or train setting) using `name` in a role with a fixed vocabulary, and the code expected. */
const fixedRoles: readonly [string, (n: string) => string, string][] = [
  ['function', (n) => base(`loss = sum(${n}(w))`), 'E0116'],
  ['named argument of a built-in', (n) => base(`loss = sum(w, ${n} = 1)`), 'E0104'],
  ['initialiser', (n) => base(`param v: [2] init ${n}\n  loss = sum(w) + sum(v)`), 'E0144'],
  ['initialiser call', (n) => base(`param v: [2] init ${n}(1)\n  loss = sum(w) + sum(v)`), 'E0144'],
  [
    'named argument of an initialiser',
    (n) => base(`param v: [2] init normal(${n} = 1)\n  loss = sum(w) + sum(v)`),
    'E0104',
  ],
  ['optimiser', (n) => base('loss = sum(w^2)', `optimizer = ${n}(lr = 1)`), 'E0504'],
  ['named argument of an optimiser', (n) => base('loss = sum(w^2)', `optimizer = adam(${n} = 1)`), 'E0506'],
  ['schedule', (n) => base('loss = sum(w^2)', `schedule = ${n}`), 'E0504'],
  [
    'named argument of a schedule',
    (n) => base('loss = sum(w^2)', `schedule = cosine(steps = 5, ${n} = 1)`),
    'E0506',
  ],
  ['data set', (n) => base('loss = sum(w^2)', '', n), 'E0504'],
  ['named argument of a data set', (n) => base('loss = sum(w^2)', '', `spiral(${n} = 1)`), 'E0506'],
  ['train setting', (n) => base('loss = sum(w^2)', `${n} = 1`), 'E0501'],
  ['dimension in a shape', (n) => base(`param v: [${n}]\n  loss = sum(w) + sum(v)`), 'E0102'],
  ['name in an expression', (n) => base(`loss = sum(w) + ${n}`), 'E0101'],
];

describe('Object.prototype names in roles with a fixed vocabulary', () => {
  for (const [role, model, code] of fixedRoles) {
    it(`as a ${role}: ${code}, located`, () => {
      for (const name of NAMES) {
        const path = file(model(name));
        const r = cli('check', path);
        expect(r.code, `${role} ${name}: ${r.err}`).toBe(1);
        expect(r.err, `${role} ${name}`).toMatch(new RegExp(`:\\d+:\\d+: error\\[${code}\\]`));
      }
    });
  }
});

/** Models that use `name` where the user chooses names; each must check and give its gradient. */
const freeRoles: readonly [string, (n: string) => string][] = [
  ['function', (n) => `fn ${n}(a) = a * 2\n${base(`loss = sum(${n}(w) * x)`)}`],
  ['function parameter', (n) => `fn twice(${n}) = ${n} * 2\n${base('loss = sum(twice(w) * x)')}`],
  [
    'local of a function',
    (n) => `fn f(a) {\n  let ${n} = a * 2\n  return ${n}\n}\n${base('loss = sum(f(w) * x)')}`,
  ],
  ['param', (n) => base(`param ${n}: [D] init [1, 2]\n  loss = sum((w + ${n}) * x)`)],
  ['let', (n) => base(`let ${n} = w * 2\n  loss = sum(${n} * x)`)],
  ['output', (n) => base(`output ${n} = x @ w\n  loss = sum(w * x)`)],
  [
    'constant dim',
    (n) => base(`dim ${n} = 2\n  param v: [${n}] init [1, 1]\n  loss = sum(v * w * x) * ${n}`),
  ],
  ['model', (n) => base('loss = sum(w * x)').replace('model M', `model ${n}`)],
];

describe('Object.prototype names in roles the user names', () => {
  for (const [role, model] of freeRoles) {
    it(`as a ${role}: checks and gives the same gradient as a plain name`, () => {
      const plain = cli('grad', file(model('plain')), '--json');
      expect(plain.code, plain.err).toBe(0);
      const want = JSON.parse(plain.out);
      for (const name of NAMES) {
        const path = file(model(name));
        const checked = cli('check', path);
        expect(checked.code, `${role} ${name}: ${checked.err}`).toBe(0);
        const r = cli('grad', path, '--json');
        expect(r.code, `${role} ${name}: ${r.err}`).toBe(0);
        const got = JSON.parse(r.out);
        expect(got.loss, `${role} ${name}`).toBe(want.loss);
        const values = (g: Record<string, number[]>) =>
          Object.getOwnPropertyNames(g)
            .sort()
            .map((k) => Object.getOwnPropertyDescriptor(g, k)?.value);
        if (role !== 'param') expect(values(got.grads)).toEqual(values(want.grads));
        else expect(Object.getOwnPropertyNames(got.grads).sort()).toEqual([name, 'w'].sort());
      }
    });
  }

  it('as a symbolic dim bound by the data', () => {
    const model = (n: string) => `model M {
  dim ${n}, D = 2
  input x: float[${n}, D]
  param w: [D] init [0.5, -0.25]
  loss = sum(x @ w) / ${n}
}
`;
    const data = file(
      JSON.stringify({
        x: [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
      }),
      'json',
    );
    const want = JSON.parse(cli('grad', file(model('N')), '--data', data, '--json').out);
    for (const name of NAMES) {
      const r = cli('grad', file(model(name)), '--data', data, '--json');
      expect(r.code, `${name}: ${r.err}`).toBe(0);
      expect(JSON.parse(r.out)).toEqual(want);
    }
  });

  it('as an input bound to a data column of that name, and as a column the model lacks', () => {
    const model = (n: string) => `model M {
  dim N, D = 2
  input ${n}: float[N, D]
  param w: [D] init [0.5, -0.25]
  loss = sum(${n} @ w)
}
`;
    for (const name of NAMES) {
      const data = file(`{${JSON.stringify(name)}: [[1, 2], [3, 4]]}`, 'json');
      const r = cli('grad', file(model(name)), '--data', data, '--json');
      expect(r.code, `${name}: ${r.err}`).toBe(0);
      expect(JSON.parse(r.out).loss).toBe(0.5 - 0.5 + 1.5 - 1);
      const other = file(JSON.stringify({ x: [[1, 2]] }), 'json');
      const missing = cli('grad', file(model(name)), '--data', other);
      expect(missing.code, `${name}: ${missing.err}`).toBe(1);
      expect(missing.err).toContain(`has no column '${name}'`);
    }
  });
});

describe('Object.prototype names in command-line flags', () => {
  const model = file(base('loss = sum(w^2)'));
  it('--optimizer, --schedule and --data name no catalogue entry', () => {
    for (const name of NAMES) {
      for (const [flag, value, code] of [
        ['--optimizer', `${name}()`, 'E0504'],
        ['--optimizer', `adam(${name} = 1)`, 'E0506'],
        ['--schedule', name, 'E0504'],
        ['--data', name, 'E0504'],
      ] as const) {
        const r = cli('schedule', model, flag, value, '--steps', '3');
        expect(r.code, `${flag} ${value}: ${r.err}`).toBe(1);
        expect(r.err).toMatch(new RegExp(`^${flag}:1:\\d+: error\\[${code}\\]`));
      }
    }
  });

  it('--params naming a param the model lacks', () => {
    for (const name of NAMES) {
      const params = file(`{${JSON.stringify(name)}: [1, 2]}`, 'json');
      const r = cli('grad', model, '--params', params);
      expect(r.code, `${name}: ${r.err}`).toBe(1);
      expect(r.err).toMatch(/^error: /);
    }
  });
});
