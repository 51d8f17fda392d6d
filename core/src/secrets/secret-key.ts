import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IsolaError } from '../errors/isola-error.js';

/** AES-256 keys are this many bytes. */
export const secretKeyBytes = 32;

/** The file under the data dir that holds the generated key when ISOLA_SECRET_KEY is unset. */
export function secretKeyFile(dataDir: string): string {
  return join(dataDir, 'secret.key');
}

const howToMakeOne = 'make one with `openssl rand -base64 32` (or `openssl rand -hex 32`)';

/**
 * The key that seals secrets at rest: ISOLA_SECRET_KEY when set (32 bytes as base64 or as 64
 * hex characters); otherwise the one stored in `<dataDir>/secret.key`; otherwise a new random
 * key, written there with mode 0600. Processes starting at once agree on one key: the file
 * appears complete (written aside, then hard-linked into place), and whoever loses the race
 * reads the winner's key.
 */
export function resolveSecretKey(config: { secretKey?: string | undefined; dataDir: string }): Buffer {
  if (config.secretKey !== undefined) {
    const key = parseSecretKey(config.secretKey);
    if (key === null) {
      // Never echo the value: it is (meant to be) a secret.
      throw new IsolaError(
        'BAD_REQUEST',
        `invalid configuration: ISOLA_SECRET_KEY must be ${secretKeyBytes} random bytes written as base64 (44 characters) ` +
          `or as 64 hex characters; the value set (${config.secretKey.trim().length} characters) is neither; ${howToMakeOne}`,
      );
    }
    return key;
  }
  const file = secretKeyFile(config.dataDir);
  return readKeyFile(file) ?? createKeyFile(config.dataDir, file);
}

/** 32 bytes from 64 hex characters or from base64 (standard or URL-safe, padding optional); null when neither. */
export function parseSecretKey(text: string): Buffer | null {
  const value = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  // 32 bytes are 43 base64 characters and one '=' of padding.
  if (/^[A-Za-z0-9+/]{43}=?$/.test(value) || /^[A-Za-z0-9_-]{43}=?$/.test(value)) {
    const key = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (key.length === secretKeyBytes) return key;
  }
  return null;
}

function readKeyFile(file: string): Buffer | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new IsolaError('BAD_REQUEST', `cannot read the secret key file ${file}: ${(error as Error).message}`);
  }
  const key = parseSecretKey(text);
  if (key === null) {
    throw new IsolaError(
      'BAD_REQUEST',
      `the secret key file ${file} does not hold a ${secretKeyBytes}-byte key as base64 or hex; restore it from a backup ` +
        `(secrets stored with the old key cannot be read without it), or set ISOLA_SECRET_KEY; ${howToMakeOne}`,
    );
  }
  return key;
}

function createKeyFile(dataDir: string, file: string): Buffer {
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(secretKeyBytes);
  // Written under a name of its own first, then linked into place: link() fails when the file
  // already exists, and a reader never sees a half-written key (open 'wx' then write could).
  const aside = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(aside, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx', flush: true });
  try {
    linkSync(aside, file);
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // Another process created it first: use its key.
    const theirs = readKeyFile(file);
    if (theirs === null) throw new IsolaError('INTERNAL', `the secret key file ${file} vanished while it was being created`);
    return theirs;
  } finally {
    rmSync(aside, { force: true });
  }
}
