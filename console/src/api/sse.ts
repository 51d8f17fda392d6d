// Server-Sent Events over fetch. EventSource cannot send an Authorization header, so the
// console reads `text/event-stream` bodies itself: this parses the stream (the WHATWG event
// stream format) and follows it across drops, resuming with Last-Event-ID.
import { authHeaders, errorFrom, reportUnauthorized, type ApiError } from './client.js';

export interface StreamEvent {
  /** `message` unless the server named it with `event:`. */
  type: string;
  data: string;
  /** The last `id:` seen so far (ids carry over to later events, as in EventSource). */
  id: string | null;
}

/**
 * Splits an event stream into events. Feed it decoded text as it arrives; comments (heartbeats)
 * and `retry:` are consumed, `retry` is reported through `onRetry`.
 */
export class EventStreamParser {
  private buffer = '';
  private data: string[] = [];
  private type = '';
  private lastId: string | null = null;

  constructor(
    private readonly onEvent: (event: StreamEvent) => void,
    private readonly onRetry: (ms: number) => void = () => {},
  ) {}

  push(text: string): void {
    this.buffer += text;
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      // A lone \r at the end may be the first half of \r\n: wait for more.
      if (match === null || (match[0] === '\r' && match.index === this.buffer.length - 1)) return;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      this.line(line);
    }
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length > 0) this.onEvent({ type: this.type === '' ? 'message' : this.type, data: this.data.join('\n'), id: this.lastId });
      this.data = [];
      this.type = '';
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.type = value;
    else if (field === 'id' && !value.includes('\0')) this.lastId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.onRetry(Number(value));
  }
}

export type StreamState =
  | { kind: 'connecting' }
  | { kind: 'open' }
  | { kind: 'waiting'; retryAt: number; reason: string }
  | { kind: 'failed'; error: ApiError };

export interface FollowOptions {
  /** A path such as /api/v1/functions/x/logs?follow=true. */
  url: string;
  signal: AbortSignal;
  /** Resume after this event id (the last one already shown), if any. */
  lastEventId?: string | null;
  onEvent: (event: StreamEvent) => void;
  onState: (state: StreamState) => void;
  /** Back-off bounds between reconnections. */
  minDelayMs?: number;
  maxDelayMs?: number;
}

const wait = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });

/**
 * Reads an SSE endpoint until `signal` aborts. A dropped or refused connection (network, 5xx,
 * 429) is retried with exponential back-off, sending Last-Event-ID so nothing is missed; a 4xx
 * answer stops with `failed`, since retrying cannot help.
 */
export async function followEventStream(options: FollowOptions): Promise<void> {
  const { signal } = options;
  const minDelay = options.minDelayMs ?? 1000;
  const maxDelay = options.maxDelayMs ?? 30_000;
  let lastId = options.lastEventId ?? null;
  let delay = minDelay;
  while (!signal.aborted) {
    options.onState({ kind: 'connecting' });
    let reason = 'the connection dropped';
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream', ...authHeaders() };
      if (lastId !== null) headers['last-event-id'] = lastId;
      const response = await fetch(options.url, { headers, signal, cache: 'no-store' });
      if (!response.ok || response.body === null) {
        const error = await errorFrom(response);
        if (response.status === 401) reportUnauthorized(error.message);
        if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
          options.onState({ kind: 'failed', error });
          return;
        }
        reason = error.message;
      } else {
        options.onState({ kind: 'open' });
        let serverRetry: number | null = null;
        const parser = new EventStreamParser(
          (event) => {
            if (event.id !== null) lastId = event.id;
            // A good event proves the connection works: the next drop starts the back-off over.
            delay = serverRetry ?? minDelay;
            options.onEvent(event);
          },
          (ms) => (serverRetry = Math.min(Math.max(ms, 250), maxDelay)),
        );
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          parser.push(value);
        }
        delay = Math.max(delay, serverRetry ?? minDelay);
      }
    } catch (error) {
      if (signal.aborted) return;
      reason = error instanceof Error && error.message !== '' ? `the connection failed (${error.message})` : 'the connection failed';
    }
    if (signal.aborted) return;
    options.onState({ kind: 'waiting', retryAt: Date.now() + delay, reason });
    await wait(delay, signal);
    delay = Math.min(delay * 2, maxDelay);
  }
}
