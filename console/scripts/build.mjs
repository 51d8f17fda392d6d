// Builds the console into dist/ (type-check, then Vite), unless dist/ is newer than every
// source: `npm start` and `npm test` call it on every run, and most runs change nothing here.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const output = join(root, 'dist', 'index.html');
const sources = ['src', 'index.html', 'vite.config.ts', 'package.json', 'tsconfig.json', 'scripts/build.mjs'];

function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((entry) => newest(join(path, entry))));
}

const force = process.argv.includes('--force');
if (!force && existsSync(output) && statSync(output).mtimeMs >= Math.max(...sources.map((source) => newest(join(root, source))))) {
  process.exit(0);
}

function run(label, command, args) {
  const started = Date.now();
  const result = spawnSync(process.execPath, [command, ...args], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) {
    console.error(`console: ${label} failed (exit ${result.status ?? result.signal}); fix the errors above and run npm run build -w console again`);
    process.exit(result.status ?? 1);
  }
  return Date.now() - started;
}

const require = (await import('node:module')).createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
const vite = join(dirname(require.resolve('vite/package.json')), 'bin', 'vite.js');
const checked = run('type check', tsc, ['-p', 'tsconfig.json']);
const built = run('vite build', vite, ['build', '--logLevel', 'warn']);
// Brotli and gzip copies of the scripts and styles: the gateway sends them to browsers that accept
// them (a fifth of the bytes), without compressing on each request.
const { brotliCompressSync, gzipSync, constants } = await import('node:zlib');
const { readFileSync, writeFileSync } = await import('node:fs');
const assets = join(root, 'dist', 'console', 'assets');
for (const name of readdirSync(assets).filter((entry) => /\.(js|css)$/.test(entry))) {
  const content = readFileSync(join(assets, name));
  writeFileSync(join(assets, `${name}.br`), brotliCompressSync(content, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
  writeFileSync(join(assets, `${name}.gz`), gzipSync(content, { level: 9 }));
}
console.log(`console built into console/dist (type check ${(checked / 1000).toFixed(1)} s, bundle ${(built / 1000).toFixed(1)} s)`);
