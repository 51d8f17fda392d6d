import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SecretRedactor } from './secret-redactor.js';

const redactorFor = (secrets: Record<string, string>) => {
  const redactor = SecretRedactor.for(secrets);
  assert.ok(redactor !== null);
  return redactor;
};

test('no redactor when no value has 4 characters or more: the per-invocation work is skipped', () => {
  assert.equal(SecretRedactor.for({}), null);
  assert.equal(SecretRedactor.for({ PIN: '123', FLAG: 'on' }), null);
});

test('every occurrence is replaced by the secret name; regular-expression characters in values are literal', () => {
  const redactor = redactorFor({ TOKEN: 'a.b*c(d)[e]$^|\\', PIN: '12' });
  assert.equal(redactor.redact('x a.b*c(d)[e]$^|\\ y a.b*c(d)[e]$^|\\ 12'), 'x [secret TOKEN redacted] y [secret TOKEN redacted] 12');
  assert.equal(redactor.redact('aXb*c(d)[e]$^|\\'), 'aXb*c(d)[e]$^|\\');
});

test('a secret containing another is replaced whole, and markers are not rescanned', () => {
  const redactor = redactorFor({ LONG: 'prefix-secret-suffix', SHORT: 'secret', WORD: 'redacted' });
  assert.equal(redactor.redact('prefix-secret-suffix / secret / redacted'), '[secret LONG redacted] / [secret SHORT redacted] / [secret WORD redacted]');
});

test('values are found as they appear inside JSON strings too', () => {
  const redactor = redactorFor({ QUOTED: 'say "hi"\n\\now' });
  assert.equal(redactor.redact(JSON.stringify({ value: 'say "hi"\n\\now' })), '{"value":"[secret QUOTED redacted]"}');
});

test('log lines and errors come back with only their messages changed; untouched lines are the same objects', () => {
  const redactor = redactorFor({ KEY: 'sk_live_123' });
  const clean = { level: 'log' as const, time: 1, message: 'nothing here' };
  const [first, second] = redactor.redactLogs([clean, { level: 'warn', time: 2, message: 'key=sk_live_123' }]);
  assert.equal(first, clean);
  assert.deepEqual(second, { level: 'warn', time: 2, message: 'key=[secret KEY redacted]' });
  assert.deepEqual(redactor.redactError({ code: 'FUNCTION_ERROR', message: 'Error: sk_live_123', details: 1 }), {
    code: 'FUNCTION_ERROR',
    message: 'Error: [secret KEY redacted]',
    details: 1,
  });
});

test('the most a function may hold (100 values of 64 KiB) redacts a 64 KiB line without trouble', () => {
  const secrets: Record<string, string> = {};
  for (let index = 0; index < 100; index += 1) secrets[`KEY_${index}`] = `${index}:`.padEnd(64 * 1024, String.fromCharCode(65 + (index % 26)));
  const redactor = redactorFor(secrets);
  const started = performance.now();
  assert.equal(redactor.redact(`<${secrets.KEY_42}>`), '<[secret KEY_42 redacted]>');
  assert.equal(redactor.redact('abcd'.repeat(16 * 1024)), 'abcd'.repeat(16 * 1024));
  assert.ok(performance.now() - started < 1_000);
  assert.equal(redactorFor({ SHORT: 'abcd' }).redact('abcd'.repeat(16 * 1024)), '[secret SHORT redacted]'.repeat(16 * 1024));
});
