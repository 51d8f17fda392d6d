// `isola dev --persist [file]`: the in-memory components' state and configuration items saved
// to a JSON file as they change, and read back when dev starts again.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { IsolaError } from '@isola/core';
import type { MemoryBackends, MemorySnapshot } from '@isola/sidecar';

/** Where `--persist` without a file saves, relative to the function folder (inside .isola/, which isola init git-ignores). */
export const defaultStateFile = '.isola/dev-state.json';

/** Changes are saved this long after the last one (a burst of writes is one save). */
const saveDelayMs = 200;

export class StateFile {
  private timer: NodeJS.Timeout | null = null;
  private readonly stopWatching: () => void;

  private constructor(
    readonly path: string,
    private readonly memory: MemoryBackends,
    private readonly onError: (message: string) => void,
  ) {
    this.stopWatching = memory.onChange(() => {
      this.timer ??= setTimeout(() => {
        this.timer = null;
        this.save();
      }, saveDelayMs);
    });
  }

  /** Reads the file into `memory` (when it exists) and saves every change from now on. */
  static open(path: string, memory: MemoryBackends, onError: (message: string) => void): StateFile {
    let text: string | null = null;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new IsolaError('BAD_REQUEST', `cannot read the state file ${path}: ${(error as Error).message}`);
    }
    if (text !== null) memory.restore(parseSnapshot(text, path));
    return new StateFile(path, memory, onError);
  }

  /** Saves now (written aside, then renamed into place: a crash never leaves half a file). */
  save(): void {
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      const temporary = `${this.path}.${process.pid}.tmp`;
      writeFileSync(temporary, `${JSON.stringify(this.memory.snapshot(), null, 2)}\n`);
      renameSync(temporary, this.path);
    } catch (error) {
      this.onError(`could not save the state to ${this.path}: ${(error as Error).message}`);
    }
  }

  /** Saves what is pending and stops saving. */
  close(): void {
    this.stopWatching();
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.save();
  }
}

function parseSnapshot(text: string, path: string): Partial<MemorySnapshot> {
  const fix = `fix or delete ${path}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new IsolaError('BAD_REQUEST', `the state file ${path} is not JSON (${(error as Error).message}); ${fix}`);
  }
  const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!isRecord(parsed)) throw new IsolaError('BAD_REQUEST', `the state file ${path} must hold {"state": {...}, "configuration": {...}}; ${fix}`);
  const problems: string[] = [];
  for (const [component, entries] of Object.entries(isRecord(parsed.state) ? parsed.state : {})) {
    for (const [key, entry] of Object.entries(isRecord(entries) ? entries : {})) {
      if (!isRecord(entry) || typeof entry.value !== 'string' || !Number.isInteger(entry.version)) problems.push(`state.${component}.${key} must be {"value": "<JSON text>", "version": <number>}`);
    }
  }
  for (const [component, items] of Object.entries(isRecord(parsed.configuration) ? parsed.configuration : {})) {
    for (const [key, item] of Object.entries(isRecord(items) ? items : {})) {
      if (!isRecord(item) || typeof item.value !== 'string' || typeof item.version !== 'string') problems.push(`configuration.${component}.${key} must be {"value": "...", "version": "..."}`);
    }
  }
  if (problems.length > 0) throw new IsolaError('BAD_REQUEST', `the state file ${path} is malformed: ${problems.join('; ')}; ${fix}`);
  return parsed as Partial<MemorySnapshot>;
}
