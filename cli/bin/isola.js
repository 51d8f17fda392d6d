#!/usr/bin/env node
// The `isola` command. The CLI is TypeScript compiled into dist/ by `npm run build`; this shim
// exists before the build so that `npm install` can link node_modules/.bin/isola to it.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/bin.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('isola: the CLI is not built yet; run "npm run build" at the repository root');
  process.exit(1);
}
await import(entry.href);
