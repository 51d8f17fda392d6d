import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { IsolaError } from '@isola/core';
import { CliError } from './cli-errors.js';

interface TestFlags {
  testNamePattern?: string;
  reporter?: string;
}

const examples = `
Examples:
  isola test                        # the tests of the function in this folder
  isola test ./cart-api             # another folder's tests
  isola test -n "adds an item"      # only tests whose name matches
  isola test --reporter dot         # one character per test

Test files are *.test.ts, *.test.js (.mts, .mjs) anywhere in the folder (test/ included; not
node_modules). TypeScript tests are compiled into .isola/test/ first. They import the testing
helper from "@isola/cli/local": the folder's node_modules when it has @isola/cli, otherwise this
CLI's own. The exit code is the test runner's. See docs/local-development.md.`;

export function registerTestCommand(program: Command): void {
  program
    .command('test')
    .description("run a function folder's tests with Node's test runner, against the real sandbox (no Redis needed)")
    .argument('[dir]', 'the function folder, holding isola.yaml', '.')
    .option('-n, --test-name-pattern <pattern>', 'only tests whose name matches this regular expression')
    .option('--reporter <reporter>', "a Node test reporter: spec, tap, dot, junit, lcov (default: the runner's)")
    .addHelpText('after', examples)
    .action((dir: string, flags: TestFlags) => test(dir, flags));
}

async function test(dir: string, flags: TestFlags): Promise<void> {
  const folder = resolve(dir);
  if (!existsSync(join(folder, 'isola.yaml'))) throw new CliError(`no isola.yaml in ${folder}: pass a function folder, or create one with "isola init"`);
  const { compileTests, compiledTestsDir, findTests, runTests } = await import('../local/test-runner.js');
  const tests = findTests(folder);
  if (tests.length === 0) {
    throw new CliError(`no tests in ${folder}: add files named *.test.ts or *.test.js (e.g. test/index.test.ts importing loadFunction from "@isola/cli/local")`);
  }
  const typescript = tests.some((file) => /\.m?ts$/.test(file));
  console.log(`Running ${tests.length} test file${tests.length === 1 ? '' : 's'} of ${folder}: ${tests.map((file) => relative(folder, file)).join(', ')}${typescript ? ` (TypeScript compiled into ${compiledTestsDir}/)` : ''}`);
  const files = await compileTests(folder, tests).catch((error: unknown) => {
    throw error instanceof IsolaError ? new CliError(error.message) : error;
  });
  const options = { ...(flags.testNamePattern === undefined ? {} : { namePattern: flags.testNamePattern }), ...(flags.reporter === undefined ? {} : { reporter: flags.reporter }) };
  process.exitCode = await runTests(folder, files, options);
}
