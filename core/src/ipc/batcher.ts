/**
 * Coalesces IPC messages: under load a worker channel carries many small messages per event
 * loop turn, and each `send` is a pipe write (a system call and a wake-up on the other side).
 * Messages pushed during one turn go out as one `batch` message at `setImmediate`, after the
 * turn's I/O callbacks; a lone message goes out as itself.
 */
export interface BatchMessage<T> {
  type: 'batch';
  requestId: 0;
  messages: T[];
}

export class MessageBatcher<T> {
  private queued: T[] = [];
  private scheduled = false;

  /** `write` sends one message (or batch); `messages` are the ones it carries. */
  constructor(private readonly write: (message: T | BatchMessage<T>, messages: T[]) => void) {}

  push(message: T): void {
    this.queued.push(message);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Sends what is queued now (also called before the process ends). */
  flush(): void {
    this.scheduled = false;
    const messages = this.queued;
    if (messages.length === 0) return;
    this.queued = [];
    const [only] = messages;
    this.write(messages.length === 1 && only !== undefined ? only : { type: 'batch', requestId: 0, messages }, messages);
  }
}

/** Calls `handle` for each message a received message carries. */
export function unbatch<T>(message: T | BatchMessage<T>, handle: (message: T) => void): void {
  if (isBatch(message)) for (const inner of message.messages) handle(inner);
  else handle(message);
}

function isBatch<T>(message: T | BatchMessage<T>): message is BatchMessage<T> {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'batch';
}
