import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { derivedCredential } from '../auth/credentials.js';
import type { Logger } from '../logging/logger.js';
import type { FunctionEvent } from '../store/function-store.js';
import { redisKeys } from '../store/keys.js';

/** A worker node (`isola worker`, or the worker part of `isola up`) as gateways see it. */
export interface NodeInfo {
  id: string;
  /** Where the node takes synchronous invocations (its node server), e.g. http://10.0.0.5:8091. */
  url: string;
  /** Worker processes ready now. */
  workers: number;
  /** Invocations it runs at once before it refuses more (503): workers × ISOLA_WORKER_MAX_INFLIGHT. */
  capacity: number;
  /** Invocations running on it when it last announced itself. */
  inFlight: number;
  /** Epoch ms. */
  startedAt: number;
}

/** A node id that says where it runs: host name, process id and a few random characters. */
export function newNodeId(): string {
  const host = hostname().replace(/[^A-Za-z0-9-]/g, '-').slice(0, 40) || 'node';
  return `${host}-${process.pid}-${randomBytes(2).toString('hex')}`;
}

/** The credential gateways present to worker nodes (see derivedCredential); node servers refuse calls without it. */
export function nodeAuthToken(secretKey: Buffer): string {
  return derivedCredential(secretKey, 'isola node invocation v1');
}

export interface NodeAnnouncerOptions {
  /** How often the node refreshes its entry. Default 1,000. */
  intervalMs?: number;
  /** How long an entry lives without a refresh (a node killed outright disappears after this). Default 3 × interval. */
  ttlMs?: number;
  logger: Logger;
}

/**
 * Keeps a worker node's entry in Redis: a key per node that expires unless refreshed, so a
 * node that dies without a word drops out by itself; joining and leaving are also announced
 * on the events channel, so gateways notice at once.
 */
export class NodeAnnouncer {
  private timer: NodeJS.Timeout | null = null;
  private readonly intervalMs: number;
  private readonly ttlMs: number;
  private left = false;

  constructor(
    private readonly redis: Redis,
    private readonly describe: () => NodeInfo,
    private readonly options: NodeAnnouncerOptions,
  ) {
    this.intervalMs = options.intervalMs ?? 1_000;
    this.ttlMs = options.ttlMs ?? this.intervalMs * 3;
  }

  async join(): Promise<void> {
    await this.write();
    await this.announce();
    this.timer = setInterval(() => {
      this.write().catch((error: unknown) => this.options.logger.warn({ err: error }, 'could not refresh this node in the node directory'));
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Leaves the directory (draining or stopping): gateways stop sending new invocations. */
  async leave(): Promise<void> {
    if (this.left) return;
    this.left = true;
    if (this.timer !== null) clearInterval(this.timer);
    const { id } = this.describe();
    await this.redis.multi().del(redisKeys.node(id)).srem(redisKeys.nodes, id).exec();
    await this.announce();
  }

  private async write(): Promise<void> {
    if (this.left) return;
    const info = this.describe();
    await this.redis.multi().set(redisKeys.node(info.id), JSON.stringify(info), 'PX', this.ttlMs).sadd(redisKeys.nodes, info.id).exec();
  }

  private async announce(): Promise<void> {
    const event: FunctionEvent = { type: 'nodes', node: this.describe().id };
    await this.redis.publish(redisKeys.eventsChannel, JSON.stringify(event));
  }
}

/** Every node whose entry is alive; ids whose entry expired are removed from the set. */
export async function readNodeDirectory(redis: Redis): Promise<NodeInfo[]> {
  const ids = await redis.smembers(redisKeys.nodes);
  if (ids.length === 0) return [];
  const values = await redis.mget(...ids.map((id) => redisKeys.node(id)));
  const nodes: NodeInfo[] = [];
  const expired: string[] = [];
  values.forEach((value, index) => {
    if (value === null) expired.push(ids[index] as string);
    else nodes.push(JSON.parse(value) as NodeInfo);
  });
  if (expired.length > 0) await redis.srem(redisKeys.nodes, ...expired);
  return nodes.sort((a, b) => (a.id < b.id ? -1 : 1));
}
