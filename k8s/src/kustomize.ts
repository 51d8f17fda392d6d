// What the manifest tests read: the overlays rendered by `kubectl kustomize` (offline), and the
// YAML files of k8s/ parsed as the API server would receive them.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

/** The k8s/ folder (this file runs from k8s/dist/). */
export const k8sDir = join(dirname(fileURLToPath(import.meta.url)), '..');

export const overlays = ['dev', 'prod'] as const;

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string };
    fieldRef?: { fieldPath: string };
    configMapKeyRef?: { name: string; key: string };
  };
}

export interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  securityContext?: {
    runAsNonRoot?: boolean;
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[] };
  };
  env?: EnvVar[];
  envFrom?: unknown[];
}

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    containers: Container[];
    serviceAccountName?: string;
    automountServiceAccountToken?: boolean;
    securityContext?: { runAsNonRoot?: boolean; seccompProfile?: { type?: string } };
    terminationGracePeriodSeconds?: number;
  };
}

/** Parses a multi-document YAML text, failing on any syntax error. */
export function parseObjects(text: string, where: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((document) => {
      if (document.errors.length > 0) throw new Error(`${where}: ${document.errors.map(String).join('; ')}`);
      return document.toJS() as K8sObject | null;
    })
    .filter((object): object is K8sObject => object !== null);
}

/** The objects `kubectl kustomize` renders for an overlay (whichever kubectl is first on PATH). */
export function render(overlay: string): K8sObject[] {
  // stderr is kept out of the test output (a current kubectl warns about the 1.20-era fields) but
  // not lost: a failing kubectl's message carries it.
  const text = execFileSync('kubectl', ['kustomize', join(k8sDir, 'overlays', overlay)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return parseObjects(text, overlay);
}

/** The objects of one YAML file under k8s/. */
export function readObjects(path: string): K8sObject[] {
  return parseObjects(readFileSync(join(k8sDir, path), 'utf8'), path);
}

export const workloads = (objects: K8sObject[]) => objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet');
export const templateOf = (o: K8sObject) => (o.spec as { template: PodTemplate }).template;
export const findObject = (objects: K8sObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
