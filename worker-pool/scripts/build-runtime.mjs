// Bundles the in-isolate runtime (src/runtime, no Node APIs) into one script that every pool
// isolate runs before user code. Type checking is done by `tsc -b` (src/runtime/tsconfig.json).
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
await build({
  entryPoints: [`${root}src/runtime/index.ts`],
  outfile: `${root}dist/runtime/runtime.bundle.js`,
  bundle: true,
  format: 'iife',
  platform: 'neutral',
  mainFields: ['module', 'main'],
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
});
