// Runs every compiled test file (*.test.js under each workspace's dist/) with Node's test
// runner. --no-node-snapshot is required by isolated-vm and reaches each test process.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const workspaces = ['core', 'scheduler', 'triggers', 'worker-pool', 'sidecar', 'gateway', 'cli', 'functions-examples', 'bench', 'k8s', 'k8s/operator'];
const filter = process.argv.slice(2);

function findTests(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return findTests(path);
    return entry.endsWith('.test.js') ? [path] : [];
  });
}

const files = workspaces
  .flatMap((workspace) => findTests(join(workspace, 'dist')))
  .filter((file) => filter.length === 0 || filter.some((part) => file.includes(part)));
if (files.length === 0) {
  console.error('no test files found: did the build run?');
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--no-node-snapshot', '--test', '--test-concurrency=2', '--test-timeout=120000', '--test-reporter=spec', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
