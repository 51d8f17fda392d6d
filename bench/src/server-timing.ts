/** The platform's own split of one request, from its Server-Timing header (ms; 0 when absent). */
export interface ServerTiming {
  /** `isola`: gateway, scheduler, IPC both ways and, on a cold start, the load. */
  platformMs: number;
  /** `load`: cold-start load in the worker (code from Redis, compile into a prepared isolate). */
  loadMs: number;
  /** `fn`: the invocation in the isolate (runtime and handler). */
  functionMs: number;
}

/** Every `name;dur=…` entry of a Server-Timing header, in ms. */
export function serverTimingDurations(header: string | null | undefined): Map<string, number> {
  const entries = new Map<string, number>();
  for (const entry of (header ?? '').split(',')) {
    const [name, ...params] = entry.trim().split(';');
    const duration = params.map((param) => /^\s*dur=([\d.]+)\s*$/.exec(param)?.[1]).find((value) => value !== undefined);
    if (name !== undefined && name !== '' && duration !== undefined) entries.set(name, Number(duration));
  }
  return entries;
}

export function parseServerTiming(header: string | null | undefined): ServerTiming {
  const entries = serverTimingDurations(header);
  if (!entries.has('isola') || !entries.has('fn')) {
    throw new Error(`the response has no usable Server-Timing header (got ${JSON.stringify(header ?? null)}); expected isola;dur=… and fn;dur=…`);
  }
  return { platformMs: entries.get('isola') ?? 0, loadMs: entries.get('load') ?? 0, functionMs: entries.get('fn') ?? 0 };
}
