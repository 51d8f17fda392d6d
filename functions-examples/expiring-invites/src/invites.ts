// Invites in the state store: `invite:<code>` each, and `invite-codes`, the index the sweep
// walks (state stores cannot list their keys).
//
// Why an expiresAt field and not the store's own TTL (put(..., { ttlSeconds }))? A TTL makes
// the entry vanish silently. With expiresAt the function decides: it can answer 410 Gone
// (not 404) between expiry and the sweep, and the sweep can log, count, or notify about what
// it removes.
import type { BindingError, StateBinding } from '@isola/types';

export type Invite = {
  code: string;
  email: string;
  createdAt: string;
  expiresAt: string;
};

export interface SweepResult {
  removed: string[];
  kept: number;
  /** More expired invites than one run may remove: the next tick goes on. */
  more: boolean;
}

const indexKey = 'invite-codes';
const inviteKey = (code: string) => `invite:${code}`;
/** Each binding call counts against ISOLA_MAX_BINDING_CALLS (1000 per invocation): stay well below. */
const maxRemovalsPerRun = 200;
const maxAttempts = 10;

export class InviteStore {
  constructor(private readonly state: StateBinding) {}

  async create(email: string, ttlSeconds: number, now: number): Promise<Invite> {
    const invite: Invite = {
      code: randomCode(),
      email,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + ttlSeconds * 1000).toISOString(),
    };
    await this.state.put(inviteKey(invite.code), invite, { concurrency: 'first-write' });
    await this.updateIndex((codes) => [...codes, invite.code]);
    return invite;
  }

  get(code: string): Promise<Invite | null> {
    return this.state.get<Invite>(inviteKey(code));
  }

  /** Deletes the invites expired at `now`, logging each; keeps the rest. */
  async sweep(now: number): Promise<SweepResult> {
    const codes = (await this.state.get<string[]>(indexKey)) ?? [];
    const entries = codes.length === 0 ? [] : await this.state.getBulk<Invite>(codes.map(inviteKey));
    const gone = new Set<string>();
    const removed: string[] = [];
    let more = false;
    for (const [index, entry] of entries.entries()) {
      const code = codes[index] as string;
      if (entry.value === null) {
        gone.add(code); // already deleted: only the index still names it
        continue;
      }
      if (Date.parse(entry.value.expiresAt) > now) continue;
      if (removed.length === maxRemovalsPerRun) {
        more = true;
        break;
      }
      try {
        // With the etag read: an invite renewed meanwhile is not deleted.
        await this.state.delete(inviteKey(code), { etag: entry.etag as string });
      } catch (error) {
        if (isEtagMismatch(error)) continue; // changed since we read it: the next sweep decides
        throw error;
      }
      console.log(`removed expired invite ${code} (expired ${entry.value.expiresAt})`);
      removed.push(code);
      gone.add(code);
    }
    if (gone.size > 0) await this.updateIndex((current) => current.filter((code) => !gone.has(code)));
    return { removed, kept: codes.length - gone.size, more };
  }

  /** Read, change, write back only if nobody wrote in between; else again. */
  private async updateIndex(change: (codes: string[]) => string[]): Promise<void> {
    for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
      const current = await this.state.getWithEtag<string[]>(indexKey);
      const next = change(current?.value ?? []);
      try {
        await this.state.put(indexKey, next, current === null ? { concurrency: 'first-write' } : { etag: current.etag });
        return;
      } catch (error) {
        if (!isEtagMismatch(error)) throw error;
      }
    }
    throw new Error(`the invite index kept changing while we tried to write it (${maxAttempts} attempts)`);
  }
}

function isEtagMismatch(error: unknown): boolean {
  return error instanceof Error && error.name === 'BindingError' && (error as BindingError).code === 'ETAG_MISMATCH';
}

/** 10 characters from an alphabet without look-alikes (no 0/O, 1/I/l). */
function randomCode(): string {
  const alphabet = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
  const bytes = crypto.getRandomValues(new Uint8Array(10));
  return Array.from(bytes, (byte) => alphabet[byte % alphabet.length]).join('');
}
