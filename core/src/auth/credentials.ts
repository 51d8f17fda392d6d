import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * A credential derived from the platform's secret key for one `purpose` (gateway → worker node,
 * worker → sidecar → gateway): every process of a platform already holds the key (secrets would
 * not open otherwise), so there is nothing more to configure. Never given to user code.
 */
export function derivedCredential(secretKey: Buffer, purpose: string): string {
  return createHmac('sha256', secretKey).update(purpose).digest('hex');
}

/**
 * Whether `given` is the derived credential `expected`, compared in constant time. Derived
 * credentials all have one public length, so comparing lengths first gives nothing away.
 */
export function credentialMatches(expected: string, given: string | string[] | undefined): boolean {
  if (typeof given !== 'string') return false;
  const givenBytes = Buffer.from(given);
  const expectedBytes = Buffer.from(expected);
  return givenBytes.byteLength === expectedBytes.byteLength && timingSafeEqual(givenBytes, expectedBytes);
}
