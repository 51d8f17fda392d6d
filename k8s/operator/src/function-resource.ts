// The Function custom resource (isola.dev/v1alpha1) as the operator reads and writes it. The
// CRD (k8s/crds/functions.isola.dev.yaml) checks shapes; spec-to-manifest.ts checks the rest.

export const functionGroup = 'isola.dev';
export const functionVersion = 'v1alpha1';
export const functionPlural = 'functions';
export const functionKind = 'Function';
export const functionApiVersion = `${functionGroup}/${functionVersion}`;
/** Held on every Function the operator deployed, until the platform's copy is deleted. */
export const functionFinalizer = 'isola.dev/function';

export interface FunctionSource {
  inline?: { files: Record<string, string> };
  configMap?: { name: string; items?: { key: string; path: string }[] };
  url?: { url: string; sha256: string };
}

/** The manifest fields (isola.yaml without `name`), kept as written: the platform applies its defaults. */
export interface FunctionSpec extends Record<string, unknown> {
  main: string;
  source: FunctionSource;
  alias?: string;
  weights?: Record<string, number>;
}

export type ConditionType = 'Ready' | 'Deployed' | 'Degraded';
export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: ConditionType;
  status: ConditionStatus;
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface FunctionStatus {
  observedGeneration?: number;
  version?: number;
  codeHash?: string;
  specHash?: string;
  url?: string;
  traffic?: { alias: string; version?: number; weights?: Record<string, number> };
  lastError?: string;
  conditions?: Condition[];
}

export interface FunctionResource {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
    generation?: number;
    finalizers?: string[];
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: FunctionSpec;
  status?: FunctionStatus;
}

/** Sets one condition, keeping its lastTransitionTime when its status did not change. */
export function withCondition(conditions: Condition[] | undefined, next: Omit<Condition, 'lastTransitionTime'>, now: Date): Condition[] {
  const list = conditions ?? [];
  const previous = list.find((condition) => condition.type === next.type);
  const lastTransitionTime = previous !== undefined && previous.status === next.status ? previous.lastTransitionTime : now.toISOString();
  const updated: Condition = { ...next, lastTransitionTime };
  const order: ConditionType[] = ['Ready', 'Deployed', 'Degraded'];
  return [...list.filter((condition) => condition.type !== next.type), updated].sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type));
}
