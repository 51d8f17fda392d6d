import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { ScaleSettings } from './scaler.js';

export interface OperatorConfig {
  /** The control plane (a gateway) the operator deploys through. */
  url: string;
  /** A deployer token, or admin for scaling (GET /api/v1/cluster is admin-only). */
  token: string;
  /** The namespace whose Functions it reconciles (and where its Lease and the worker Deployment live). */
  namespace: string;
  /** This replica, in the Lease and in Events. */
  identity: string;
  /** Health and metrics (0 picks a free port; -1 serves none). */
  port: number;
  host: string;
  resyncMs: number;
  lease: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  /** Back-off of a Function that failed: first retry, and the most it grows to. */
  retryBaseMs: number;
  retryMaxMs: number;
  concurrency: number;
  scale: ScaleSettings;
  maxSourceBytes: number;
}

const serviceAccountNamespace = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/**
 * The operator's settings from the environment (docs/kubernetes.md#operator-settings). Every
 * problem is reported at once, each naming its variable.
 */
export function readOperatorConfig(env: NodeJS.ProcessEnv = process.env): OperatorConfig {
  const problems: string[] = [];
  const number = (name: string, fallback: number, check: (value: number) => boolean, rule: string): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || !check(value)) {
      problems.push(`${name}=${raw}: must be ${rule}`);
      return fallback;
    }
    return value;
  };
  const whole = (name: string, fallback: number, min: number) => number(name, fallback, (v) => Number.isInteger(v) && v >= min, `a whole number ≥ ${min}`);
  const url = env.ISOLA_URL ?? '';
  if (!/^https?:\/\//.test(url)) problems.push(`ISOLA_URL${url === '' ? ' is not set' : `=${url}`}: must be the control plane's URL, e.g. http://isola-gateway:8080`);
  const token = env.ISOLA_TOKEN ?? '';
  if (token === '') problems.push('ISOLA_TOKEN is not set: give the operator an admin token (the isola-secrets Secret\'s admin-token)');
  let namespace = env.ISOLA_OPERATOR_NAMESPACE ?? '';
  if (namespace === '') {
    try {
      namespace = readFileSync(serviceAccountNamespace, 'utf8').trim();
    } catch {
      problems.push(`ISOLA_OPERATOR_NAMESPACE is not set and ${serviceAccountNamespace} cannot be read: set the namespace to watch`);
    }
  }
  const leaseDurationMs = whole('ISOLA_OPERATOR_LEASE_SECONDS', 15, 2) * 1000;
  const min = whole('ISOLA_SCALE_MIN', 1, 0);
  const max = whole('ISOLA_SCALE_MAX', 10, 1);
  const asyncOnly = (env.ISOLA_SCALE_ASYNC_ONLY ?? 'false') === 'true';
  if (!['true', 'false'].includes(env.ISOLA_SCALE_ASYNC_ONLY ?? 'false')) problems.push(`ISOLA_SCALE_ASYNC_ONLY=${env.ISOLA_SCALE_ASYNC_ONLY}: must be true or false`);
  if (min > max) problems.push(`ISOLA_SCALE_MIN=${min} is above ISOLA_SCALE_MAX=${max}`);
  if (min === 0 && !asyncOnly) {
    problems.push('ISOLA_SCALE_MIN=0 scales the workers to zero when idle, where HTTP and RPC calls fail until a node starts: allowed only with ISOLA_SCALE_ASYNC_ONLY=true (docs/kubernetes.md#scale-to-zero)');
  }
  const config: OperatorConfig = {
    url,
    token,
    namespace,
    identity: env.ISOLA_OPERATOR_ID || hostname(),
    port: number('ISOLA_OPERATOR_PORT', 8090, (v) => Number.isInteger(v) && v >= -1 && v <= 65535, 'a port number (0 for any, -1 for none)'),
    host: env.ISOLA_OPERATOR_HOST || '0.0.0.0',
    resyncMs: number('ISOLA_OPERATOR_RESYNC_SECONDS', 60, (v) => v > 0, 'a number of seconds above 0') * 1000,
    lease: env.ISOLA_OPERATOR_LEASE || 'isola-operator',
    leaseDurationMs,
    renewDeadlineMs: Math.round(leaseDurationMs * (2 / 3)),
    retryPeriodMs: Math.max(500, Math.round(leaseDurationMs / 7.5)),
    retryBaseMs: number('ISOLA_OPERATOR_RETRY_BASE_MS', 1000, (v) => Number.isInteger(v) && v >= 10, 'a whole number of ms ≥ 10'),
    retryMaxMs: number('ISOLA_OPERATOR_RETRY_MAX_MS', 300_000, (v) => Number.isInteger(v) && v >= 10, 'a whole number of ms ≥ 10'),
    concurrency: whole('ISOLA_OPERATOR_CONCURRENCY', 4, 1),
    maxSourceBytes: whole('ISOLA_OPERATOR_MAX_SOURCE_BYTES', 10 * 1024 * 1024, 1),
    scale: {
      deployment: env.ISOLA_SCALE_DEPLOYMENT ?? 'isola-worker',
      min,
      max,
      targetUtilization: number('ISOLA_SCALE_TARGET_UTILIZATION', 0.7, (v) => v > 0 && v <= 1, 'a fraction above 0, at most 1'),
      downStabilizationMs: number('ISOLA_SCALE_DOWN_STABILIZATION_SECONDS', 300, (v) => v >= 0, 'a number of seconds ≥ 0') * 1000,
      intervalMs: number('ISOLA_SCALE_INTERVAL_SECONDS', 15, (v) => v > 0, 'a number of seconds above 0') * 1000,
      asyncOnly,
    },
  };
  if (problems.length > 0) throw new OperatorConfigError(problems);
  return config;
}

export class OperatorConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`the operator's settings are invalid:\n  ${problems.join('\n  ')}`);
    this.name = 'OperatorConfigError';
  }
}
