// Every command answers --help (exit 0) with its flags and examples; usage errors exit 2.
// No platform needed: nothing here reaches one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from './cli-runner.js';

const commands: [command: string[], flags: string[]][] = [
  [['deploy'], ['--no-promote', '--url', '--token', '--json', 'ISOLA_URL', 'ISOLA_TOKEN', '.isola/bundle.js']],
  [['invoke'], ['--data', '--file', '--method', '--path', '--header', '--async', '--wait', '--rpc', '--args', '--verbose', '--json']],
  [['logs'], ['--follow', '--level', '--search', '--since', '--invocation', '--limit', '--json']],
  [['list'], ['--json', '--url', '--token']],
  [['versions'], ['--json']],
  [['rollback'], ['--to', '--alias', '--json']],
  [['secret'], ['put', 'delete', 'list']],
  [['secret', 'put'], ['standard input', 'prompt', 'trailing newline', '--json']],
  [['secret', 'delete'], ['--json']],
  [['secret', 'list'], ['--json']],
];

for (const [command, flags] of commands) {
  test(`isola ${command.join(' ')} --help exits 0 and mentions ${flags.join(', ')}`, async () => {
    const result = await runCli([...command, '--help']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`^Usage: isola ${command.join(' ')}`, 'm'));
    for (const flag of flags) assert.ok(result.stdout.includes(flag), `${flag} missing from:\n${result.stdout}`);
    if (command.join(' ') !== 'secret') assert.match(result.stdout, /^Examples:\n {2}\$ isola /m);
  });
}

test('isola --help lists the platform commands', async () => {
  const result = await runCli(['--help']);
  assert.equal(result.code, 0);
  for (const command of ['deploy', 'invoke', 'logs', 'list', 'versions', 'rollback', 'secret', 'up']) assert.match(result.stdout, new RegExp(`^ {2}${command}\\b`, 'm'));
});

test('usage errors exit 2 and point at the command\'s --help', async () => {
  const cases: [args: string[], message: RegExp][] = [
    [['invoke'], /missing required argument 'name'[\s\S]*isola invoke --help/],
    [['invoke', 'x', '--frob'], /unknown option '--frob'[\s\S]*isola invoke --help/],
    [['invoke', 'x', '--data', 'a', '--file', 'b'], /--data or --file, not both[\s\S]*isola invoke --help/],
    [['invoke', 'x', '--rpc', 'm', '--data', 'a'], /--rpc takes its arguments from --args; it does not go with --data/],
    [['invoke', 'x', '--args', '[]'], /--args goes with --rpc/],
    [['invoke', 'x', '--path', 'no-slash'], /--path must start with \//],
    [['invoke', 'x', '-H', 'no colon'], /-H takes "Name: value"/],
    [['logs', 'x', '--since', 'last tuesday'], /--since takes a duration ago/],
    [['logs', 'x', '--limit', '0'], /--limit must be a whole number from 1 to 1000/],
    [['list', '--url', 'localhost:8080'], /--url \(or ISOLA_URL\) must be an http or https URL/],
    [['secret', 'put', 'fn'], /missing required argument 'key'[\s\S]*isola secret put --help/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ];
  for (const [args, message] of cases) {
    const result = await runCli(args, { env: { ISOLA_URL: 'http://127.0.0.1:9', ISOLA_TOKEN: 'x' } });
    assert.equal(result.code, 2, `isola ${args.join(' ')}: exit ${result.code}\n${result.stderr}`);
    assert.match(result.stderr, message, `isola ${args.join(' ')}`);
  }
});
