import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DaprError } from '../../api/dapr-error.js';
import type { SecretRequest, SecretStoreComponent } from './secret-store.js';

/** Someone reading a store: the request they send, and the key they name a secret by. */
export interface SecretReader {
  label: string;
  request: SecretRequest;
  key(name: string): string;
}

/** A secret store under test holding the secrets the suite gave it, and who may read them. */
export interface SecretStoreUnderTest {
  store: SecretStoreComponent;
  /** Callers who read exactly the given secrets, each by its addressing rule. */
  readers: SecretReader[];
  /** Callers who must see none of them (another function, where the store keeps owners apart). */
  outsiders: SecretReader[];
  close(): Promise<void>;
}

/** What the suite stores: names every store takes (the platform's rule: upper case), values of every kind. */
const secrets: Record<string, string> = {
  DB_PASSWORD: 'p@ss word',
  API_KEY: 'sk_live_é✓',
  JSON_TEXT: '{"nested":true}',
};

/**
 * The conformance suite every secret store passes (each implementation's test file calls it with
 * a factory that opens a store holding `secrets`): get as `{key: value}`, bulk as
 * `{name: {name: value}}`, a missing key as Dapr's ERR_SECRET_GET (404 in Isola), and owners
 * kept apart where the store has them.
 */
export function secretStoreConformance(name: string, open: (secrets: Readonly<Record<string, string>>) => Promise<SecretStoreUnderTest>): void {
  describe(`secret store conformance: ${name}`, () => {
    let under: SecretStoreUnderTest;
    const isNotFound = (key: string) => (error: unknown) =>
      error instanceof DaprError && error.status === 404 && error.errorCode === 'ERR_SECRET_GET' && error.message.includes(`"${key}"`);

    before(async () => {
      under = await open(secrets);
      assert.ok(under.readers.length > 0, 'the factory names no reader');
    });
    after(async () => under.close());

    it('gets each secret as {key: value}, for every reader', async () => {
      for (const reader of under.readers) {
        for (const [secret, value] of Object.entries(secrets)) {
          assert.deepEqual(await under.store.get(reader.key(secret), reader.request), { [reader.key(secret)]: value }, reader.label);
        }
      }
    });

    it('gets every secret in bulk as {name: {name: value}}', async () => {
      const expected = Object.fromEntries(Object.entries(secrets).map(([secret, value]) => [secret, { [secret]: value }]));
      for (const reader of under.readers) assert.deepEqual(await under.store.bulk(reader.request), expected, reader.label);
    });

    it('refuses a missing key with ERR_SECRET_GET (404) naming it', async () => {
      for (const reader of under.readers) {
        const key = reader.key('NOT_THERE');
        await assert.rejects(under.store.get(key, reader.request), isNotFound(key), reader.label);
      }
    });

    it("shows outsiders none of the readers' secrets", async () => {
      for (const outsider of under.outsiders) {
        for (const secret of Object.keys(secrets)) {
          const key = outsider.key(secret);
          await assert.rejects(under.store.get(key, outsider.request), isNotFound(key), outsider.label);
        }
        const seen = Object.values(await under.store.bulk(outsider.request)).flatMap((values) => Object.values(values));
        assert.deepEqual(
          seen.filter((value) => Object.values(secrets).includes(value)),
          [],
          `${outsider.label} read another's secrets in bulk`,
        );
      }
    });
  });
}
