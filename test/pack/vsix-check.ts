/**
 * `pnpm test:vsix`: packs the VS Code extension with `vsce` (no marketplace involved) and checks
 * the `.vsix` it wrote: a zip holding the manifest with the `gradus` language and grammar, the
 * bundled client, the language configuration, and the grammar generated from the lexer, equal
 * to `textMateGrammar()`. Exits non-zero, saying what is wrong, on any failure.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';
import { textMateGrammar } from '@gradus/dsl';

const extension = fileURLToPath(new URL('../../editors/vscode/', import.meta.url));
const vsix = `${extension}gradus.vsix`;

function fail(what: string): never {
  process.stderr.write(`vsix check failed: ${what}\n`);
  process.exit(1);
}

/** The files of a zip archive by name, read through its central directory. */
function unzip(zip: Buffer): Map<string, Buffer> {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0) fail('the .vsix is not a zip archive');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const files = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) fail('a broken central directory');
    const method = zip.readUInt16LE(at + 10);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const skip = nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = zip.subarray(start, start + size);
    files.set(name, method === 8 ? inflateRawSync(data) : Buffer.from(data));
    at += 46 + skip;
  }
  return files;
}

rmSync(vsix, { force: true });
process.stdout.write('• vsce package\n');
try {
  execFileSync('pnpm', ['--filter', 'gradus-vscode', 'run', 'package'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
} catch (e) {
  const err = e as { stdout?: Buffer; stderr?: Buffer; message: string };
  fail(`vsce package: ${err.stdout ?? ''}${err.stderr ?? err.message}`);
}
const files = unzip(readFileSync(vsix));
const need = [
  'extension/package.json',
  'extension/dist/extension.js',
  'extension/language-configuration.json',
  'extension/syntaxes/gradus.tmLanguage.json',
  'extension.vsixmanifest',
];
const missing = need.filter((f) => !files.has(f));
if (missing.length > 0)
  fail(`missing from the .vsix: ${missing.join(', ')} (it has ${[...files.keys()].join(', ')})`);
const shipped = [...files.keys()].filter((f) => /\/(src|scripts|node_modules)\//.test(f));
if (shipped.length > 0) fail(`sources or node_modules in the .vsix: ${shipped.join(', ')}`);

const manifest = JSON.parse(files.get('extension/package.json')!.toString('utf8'));
const language = manifest.contributes?.languages?.[0];
if (language?.id !== 'gradus' || !language.extensions?.includes('.model'))
  fail('the manifest does not declare the gradus language for .model files');
if (manifest.contributes?.grammars?.[0]?.scopeName !== 'source.gradus')
  fail('the manifest declares no grammar');
const grammar = JSON.parse(files.get('extension/syntaxes/gradus.tmLanguage.json')!.toString('utf8'));
if (JSON.stringify(grammar) !== JSON.stringify(textMateGrammar()))
  fail('the packed grammar is not the one generated from the lexer');
const client = files.get('extension/dist/extension.js')!.toString('utf8');
if (!client.includes('require("vscode")') || !/LanguageClient/.test(client))
  fail('the bundled client does not load vscode and the language client');
process.stdout.write(`vsix check passed (${files.size} files in gradus.vsix)\n`);
