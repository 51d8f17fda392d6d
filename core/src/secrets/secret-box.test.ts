import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { IsolaError } from '../errors/isola-error.js';
import { SecretBox } from './secret-box.js';

const box = new SecretBox(randomBytes(32));

function openFails(open: () => unknown, pattern: RegExp): void {
  assert.throws(open, (error: unknown) => {
    assert.ok(error instanceof IsolaError, String(error));
    assert.equal(error.code, 'INTERNAL');
    assert.match(error.message, pattern);
    return true;
  });
}

describe('SecretBox', () => {
  test('round trip: what seal() makes, open() gives back, for any UTF-8 text; each seal has a fresh IV', () => {
    for (const plaintext of ['sk_live_123', 'x', 'ünïcødé ✓ 🔑', 'line\nbreak "quoted" \\ back', 'a'.repeat(64 * 1024)]) {
      const sealed = box.seal(plaintext, 'cart/STRIPE_KEY');
      assert.equal(box.open(sealed, 'cart/STRIPE_KEY'), plaintext);
    }
    const first = box.seal('same', 'f/K');
    const second = box.seal('same', 'f/K');
    assert.notEqual(first, second);
  });

  test('the sealed form is v1:<key id>:<base64>, holds no plaintext, and names the key it was sealed with', () => {
    const sealed = box.seal('sk_live_plaintext_value', 'cart/STRIPE_KEY');
    assert.match(sealed, /^v1:[0-9a-f]{8}:[A-Za-z0-9+/]+=*$/);
    assert.equal(sealed.split(':')[1], box.keyId);
    assert.ok(!sealed.includes('sk_live'));
    assert.ok(!Buffer.from(sealed.split(':')[2]!, 'base64').toString('latin1').includes('sk_live'));
    // 12-byte IV + 16-byte tag + ciphertext as long as the plaintext.
    assert.equal(Buffer.from(sealed.split(':')[2]!, 'base64').length, 12 + 16 + 'sk_live_plaintext_value'.length);
  });

  test('a wrong key: the error says the key changed and where the key comes from', () => {
    const sealed = box.seal('value', 'cart/STRIPE_KEY');
    openFails(() => new SecretBox(randomBytes(32)).open(sealed, 'cart/STRIPE_KEY'), /sealed with another secret key.*ISOLA_SECRET_KEY or the secret\.key file/);
  });

  test('a tampered ciphertext, tag or IV does not open', () => {
    const sealed = box.seal('value-to-protect', 'cart/STRIPE_KEY');
    const [prefix, keyId, payload] = sealed.split(':') as [string, string, string];
    for (const index of [0, 12, 28, 30]) {
      const bytes = Buffer.from(payload, 'base64');
      bytes[index] = bytes[index]! ^ 0x01;
      openFails(() => box.open(`${prefix}:${keyId}:${bytes.toString('base64')}`, 'cart/STRIPE_KEY'), /fails authentication/);
    }
    openFails(() => box.open(`${prefix}:${keyId}:${Buffer.from(payload, 'base64').subarray(0, 20).toString('base64')}`, 'cart/STRIPE_KEY'), /truncated/);
    openFails(() => box.open(`v2:${keyId}:${payload}`, 'cart/STRIPE_KEY'), /not in format v1/);
    openFails(() => box.open('plaintext', 'cart/STRIPE_KEY'), /not in format v1/);
  });

  test('the context is authenticated: a value copied to another function or secret name does not open', () => {
    const sealed = box.seal('value', 'cart/STRIPE_KEY');
    openFails(() => box.open(sealed, 'billing/STRIPE_KEY'), /sealed for billing\/STRIPE_KEY: it fails authentication.*copied from another function or secret name/);
    openFails(() => box.open(sealed, 'cart/OTHER_KEY'), /fails authentication/);
  });

  test('a key of the wrong length is refused', () => {
    assert.throws(() => new SecretBox(randomBytes(16)), /32 bytes, this one 16/);
  });
});
