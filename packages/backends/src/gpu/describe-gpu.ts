/**
 * Registers a GPU test suite, or says loudly why it cannot run: without a GPU context (no `gl`
 * build, no display) the suite is skipped with a banner on stderr, unless `GRADUS_REQUIRE_GPU=1`
 * (set by CI), where it fails instead, so a CI run cannot pass without exercising the GPU.
 */
import { describe, it } from 'vitest';
import { gpuProblem } from './context.js';

export function describeGpu(title: string, body: () => void): void {
  const problem = gpuProblem();
  if (problem === undefined) {
    describe(title, body);
    return;
  }
  if (process.env.GRADUS_REQUIRE_GPU === '1') {
    describe(title, () => {
      it('needs a GPU context (GRADUS_REQUIRE_GPU=1)', () => {
        throw new Error(`GRADUS_REQUIRE_GPU=1 but ${problem}`);
      });
    });
    return;
  }
  process.stderr.write(
    `\n${'!'.repeat(100)}\n!! GPU SUITE SKIPPED: "${title}"\n!! ${problem}\n` +
      `!! (run the tests under \`xvfb-run -a\`; CI sets GRADUS_REQUIRE_GPU=1 and fails here)\n${'!'.repeat(100)}\n\n`,
  );
  describe.skip(`${title} [SKIPPED: ${problem}]`, body);
}
