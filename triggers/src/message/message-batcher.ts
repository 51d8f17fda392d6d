import type { Job } from 'bullmq';
import type { MessageJobData } from '@isola/core';

/** A message waiting for its batch, with what settles its job. */
export interface PendingMessage {
  job: Job<MessageJobData>;
  /** The lock token the worker took the job with (to move it back). */
  token: string | undefined;
  resolve(): void;
  reject(error: Error): void;
}

/**
 * Gathers the jobs a BullMQ worker hands over one by one into batches for one `queue()` call:
 * a batch goes when it has `batchSize` messages or its first message waited `maxBatchWaitMs`.
 * Each job's processor promise stays open until its batch has been handled (BullMQ keeps
 * renewing its lock meanwhile), then resolves (done) or rejects (try again later).
 */
export class MessageBatcher {
  private pending: PendingMessage[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly batchSize: number,
    private readonly maxBatchWaitMs: number,
    private readonly run: (batch: PendingMessage[]) => Promise<void>,
  ) {}

  /** The processor of the topic's worker: settles when the message's batch was handled. */
  add(job: Job<MessageJobData>, token?: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ job, token, resolve, reject });
      if (this.pending.length >= this.batchSize) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.maxBatchWaitMs);
    });
  }

  /** Hands every waiting message over now (the host is stopping: they go back rather than wait for a full batch). */
  flushNow(): void {
    if (this.pending.length > 0) this.flush();
  }

  private flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.batchSize);
      void this.run(batch).catch((error: unknown) => {
        const failure = error instanceof Error ? error : new Error(String(error));
        for (const message of batch) message.reject(failure);
      });
      if (this.pending.length < this.batchSize) break;
    }
    if (this.pending.length > 0) this.timer = setTimeout(() => this.flush(), this.maxBatchWaitMs);
  }
}
