import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const linkedBin = fileURLToPath(new URL('../../node_modules/.bin/isola', import.meta.url));

test('npm install links the isola command, and it answers --help', async () => {
  const { stdout } = await run(linkedBin, ['--help']);
  assert.match(stdout, /Usage: isola/);
  assert.match(stdout, /\bup \[options\]/);
});

test('an unknown command fails (usage error: exit 2) with a pointer to --help', async () => {
  await assert.rejects(run(linkedBin, ['frobnicate']), (error: { code?: number; stderr?: string }) => {
    assert.equal(error.code, 2);
    assert.match(error.stderr ?? '', /unknown command 'frobnicate'[\s\S]*isola --help/);
    return true;
  });
});
