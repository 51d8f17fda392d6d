import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { IsolaError } from '../errors/isola-error.js';
import { secretKeyBytes } from './secret-key.js';

const version = 'v1';
const ivBytes = 12;
const tagBytes = 16;

/**
 * AES-256-GCM for values at rest. A sealed value reads `v1:<key id>:<base64 of iv|tag|ciphertext>`:
 * the key id (8 hex characters of an HMAC of the key, which reveals nothing of it) tells a
 * changed key apart from a damaged value. Each value is sealed for a context — for secrets, the
 * function and the secret's name — bound as additional authenticated data, so a ciphertext
 * copied to another function or name does not open.
 */
export class SecretBox {
  /** Identifies the key in sealed values. */
  readonly keyId: string;

  constructor(private readonly key: Buffer) {
    if (key.length !== secretKeyBytes) throw new IsolaError('INTERNAL', `a secret key has ${secretKeyBytes} bytes, this one ${key.length}`);
    this.keyId = createHmac('sha256', key).update('isola secret key id').digest('hex').slice(0, 8);
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(ivBytes);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: tagBytes });
    cipher.setAAD(this.aad(context));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${version}:${this.keyId}:${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64')}`;
  }

  /** The plaintext of a value seal() made for the same context; throws an INTERNAL IsolaError saying why it does not open. */
  open(sealed: string, context: string): string {
    const [prefix, keyId, payload, ...rest] = sealed.split(':');
    if (prefix !== version || keyId === undefined || payload === undefined || rest.length > 0) {
      throw new IsolaError('INTERNAL', `cannot open the value sealed for ${context}: it is not in format ${version}`);
    }
    if (keyId !== this.keyId) {
      throw new IsolaError(
        'INTERNAL',
        `cannot open the value sealed for ${context}: it was sealed with another secret key (key id ${keyId}, the current one is ${this.keyId}); ` +
          'the key changed (ISOLA_SECRET_KEY or the secret.key file in the data dir): restore the old key, or set the secret again',
      );
    }
    const bytes = Buffer.from(payload, 'base64');
    if (bytes.length < ivBytes + tagBytes) throw new IsolaError('INTERNAL', `cannot open the value sealed for ${context}: it is truncated`);
    const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, ivBytes), { authTagLength: tagBytes });
    decipher.setAAD(this.aad(context));
    decipher.setAuthTag(bytes.subarray(ivBytes, ivBytes + tagBytes));
    try {
      return Buffer.concat([decipher.update(bytes.subarray(ivBytes + tagBytes)), decipher.final()]).toString('utf8');
    } catch {
      throw new IsolaError(
        'INTERNAL',
        `cannot open the value sealed for ${context}: it fails authentication (altered, or copied from another function or secret name)`,
      );
    }
  }

  private aad(context: string): Buffer {
    return Buffer.from(`isola:${version}:${context}`, 'utf8');
  }
}
