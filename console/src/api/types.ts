// The control-plane API's answers as the console reads them (SPEC §4; the gateway's OpenAPI
// document at /api/v1/openapi.json is the full reference).

export type Role = 'admin' | 'deployer' | 'invoker';

export interface Caller {
  id: string | null;
  name: string;
  role: Role;
  namespace: string | null;
  expiresAt: string | null;
}

export type AliasTarget = { version: number } | { weights: Record<string, number> };

export interface Binding {
  type: string;
  [field: string]: unknown;
}

export interface Manifest {
  name: string;
  main: string;
  limits: { memoryMb: number; timeoutMs: number; concurrency: number; maxInFlight?: number; rateLimit?: unknown };
  vars: Record<string, string>;
  secrets: string[];
  routes: { path: string; methods?: string[] }[];
  crons: (string | { schedule: string; timezone?: string })[];
  queues: { topic: string; batchSize: number; maxBatchWaitMs: number; maxRetries: number; deadLetter?: string }[];
  bindings: Record<string, Binding>;
  egress: string[];
  public: boolean;
  [field: string]: unknown;
}

export interface FunctionStats {
  invocations: number;
  errors: number;
  errorRate: number;
  coldStarts: number;
  p50Ms: number;
  p99Ms: number;
}

export type HealthStatus = 'healthy' | 'idle' | 'degraded' | 'failing' | 'quarantined';

export interface FunctionSummary {
  name: string;
  version: number;
  codeHash: string;
  createdAt: string;
  manifest: Manifest;
  aliases: Record<string, AliasTarget>;
  secrets: string[];
  stats?: FunctionStats;
  health?: { status: HealthStatus; reason: string | null };
}

export interface VersionInfo {
  version: number;
  codeHash: string;
  createdAt: string;
  author: string | null;
}

export interface VersionDetail extends VersionInfo {
  name: string;
  manifest: Manifest;
  files: Record<string, string>;
}

export interface MetricsBucket {
  start: string;
  invocations: number;
  errors: number;
  coldStarts: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

export interface FunctionMetrics {
  name: string;
  bucketSeconds: number;
  buckets: MetricsBucket[];
  total: FunctionStats & { p95Ms: number };
}

export type LogLevel = 'debug' | 'log' | 'info' | 'warn' | 'error';

export interface LogLine {
  id: string;
  function: string;
  invocationId: string;
  version: number;
  level: LogLevel;
  time: number;
  message: string;
  truncated?: true;
}

export interface InvocationRecord {
  id: string;
  function: string;
  version: number;
  trigger: string;
  status: string;
  [field: string]: unknown;
}

export interface InvocationPage {
  invocations: InvocationRecord[];
  nextCursor: string | null;
}

export interface CronSchedule {
  id: string;
  schedule: string;
  timezone: string;
  nextTicks: string[];
  lastTick: string | null;
  missed: { count: number; capped: boolean; recent: string[] };
}

export interface TokenInfo {
  id: string;
  name: string;
  role: Role;
  namespace: string | null;
  createdAt: string;
  createdBy: string;
  expiresAt: string | null;
}

export interface Problem {
  path: string;
  message: string;
}

export interface ErrorBody {
  error: { code: string; message: string; details?: { problems?: Problem[]; [key: string]: unknown } };
}
