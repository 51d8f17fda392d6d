// The control-plane API's answers as its clients (the CLI, the operator) read them (SPEC §4;
// the OpenAPI document at /api/v1/openapi.json is the full description). Only the fields
// clients use are typed.
import type { InvocationRecord } from '../records/invocation-record.js';
import type { StoredLogLine } from '../records/log-stream.js';
import type { AliasTarget } from '../store/function-store.js';

export type { AliasTarget, InvocationRecord, StoredLogLine };

/** `?stats=true`: the function's last hour. */
export interface FunctionStats {
  invocations: number;
  errors: number;
  errorRate: number;
  coldStarts: number;
  p50Ms: number;
  p99Ms: number;
}

export interface FunctionHealth {
  status: 'quarantined' | 'failing' | 'degraded' | 'idle' | 'healthy';
  reason: string | null;
}

/** One function as `GET /api/v1/functions[/{name}]` shows it. */
export interface FunctionSummary {
  name: string;
  version: number;
  codeHash: string;
  createdAt: string;
  manifest: Record<string, unknown>;
  aliases: Record<string, AliasTarget>;
  /** Names only: values are never returned. */
  secrets: string[];
  stats?: FunctionStats;
  health?: FunctionHealth;
}

export interface VersionInfo {
  version: number;
  codeHash: string;
  createdAt: string;
  author: string | null;
}

export interface RollbackResult {
  alias: string;
  from: AliasTarget;
  to: AliasTarget;
}

export interface LogQuery {
  since?: string;
  until?: string;
  level?: string;
  search?: string;
  invocationId?: string;
  limit?: number;
}

export interface LogPage {
  lines: StoredLogLine[];
  /** More lines match beyond these. */
  more: boolean;
}

/** `GET /api/v1/cluster`: the live worker nodes and the async backlog across every queue. */
export interface ClusterLoad {
  nodes: { id: string; url: string; workers: number; capacity: number; inFlight: number; startedAt: number }[];
  totals: { nodes: number; workers: number; capacity: number; inFlight: number };
  queues: { waiting: number; active: number; delayed: number };
}
