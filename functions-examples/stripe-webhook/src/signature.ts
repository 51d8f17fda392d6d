// Stripe's webhook signature scheme (https://docs.stripe.com/webhooks#verify-manually):
//
//   Stripe-Signature: t=1700000000,v1=5257a869e7...,v1=...
//
// v1 is hex(HMAC-SHA256(secret, `${t}.${raw body}`)). There may be several v1 values (while a
// secret is being rolled); one matching is enough. Other schemes (v0) are ignored.

export interface SignatureHeader {
  timestamp: number;
  signatures: string[];
}

/** The header's parts, or null when it has no t= or no v1=. */
export function parseSignatureHeader(header: string): SignatureHeader | null {
  let timestamp = Number.NaN;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const [key, value = ''] = part.trim().split('=', 2) as [string, string?];
    if (key === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value)) signatures.push(value.toLowerCase());
  }
  return Number.isNaN(timestamp) || signatures.length === 0 ? null : { timestamp, signatures };
}

// Importing a key costs a little: keep it for the life of the instance. (A change of the secret
// retires the function's instances, so a stale key is never used.)
const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (key === undefined) {
    key = crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
    keys.set(secret, key);
  }
  return key;
}

/**
 * The v1 signature that matches `${timestamp}.${body}`, or null when none does.
 * crypto.subtle.verify compares in constant time: comparing hex strings with === would leak,
 * through timing, how many leading characters of a forged signature were right.
 */
export async function matchingSignature(secret: string, header: SignatureHeader, body: Uint8Array): Promise<string | null> {
  const prefix = new TextEncoder().encode(`${header.timestamp}.`);
  const signedPayload = new Uint8Array(prefix.length + body.length);
  signedPayload.set(prefix);
  signedPayload.set(body, prefix.length);
  const key = await hmacKey(secret);
  for (const signature of header.signatures) {
    if (await crypto.subtle.verify('HMAC', key, hexToBytes(signature), signedPayload)) return signature;
  }
  return null;
}

function hexToBytes(hex: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(hex.length / 2);
  for (let index = 0; index < bytes.length; index += 1) bytes[index] = parseInt(hex.slice(index * 2, index * 2 + 2), 16);
  return bytes;
}
