import {
  ApiException,
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  Watch,
  type KubeConfig,
  type V1Lease,
} from '@kubernetes/client-node';
import { functionGroup, functionPlural, functionVersion, type FunctionResource, type FunctionStatus } from './function-resource.js';
import type { ConfigMapData } from './source.js';

/** The HTTP status of a failed Kubernetes call (ApiException), or null for anything else. */
export function statusCodeOf(error: unknown): number | null {
  if (error instanceof ApiException) return error.code;
  const code = (error as { code?: unknown; statusCode?: unknown } | null)?.statusCode ?? (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : null;
}

/** A short description of a failed Kubernetes call: the Status message when the server sent one. */
export function describeKubeError(error: unknown): string {
  if (error instanceof ApiException) {
    const body = error.body as unknown;
    let message: string | undefined;
    if (typeof body === 'string') {
      try {
        message = (JSON.parse(body) as { message?: string }).message;
      } catch {
        message = body.slice(0, 200);
      }
    } else if (typeof body === 'object' && body !== null) {
      message = (body as { message?: string }).message;
    }
    return `HTTP ${error.code}${message === undefined || message === '' ? '' : `: ${message}`}`;
  }
  return (error as Error).message;
}

export interface FunctionList {
  items: FunctionResource[];
  resourceVersion: string;
}

export interface KubeEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  involvedObject: { apiVersion: string; kind: string; name: string; namespace: string; uid?: string; resourceVersion?: string };
}

/**
 * Every Kubernetes call the operator makes, through @kubernetes/client-node, in one namespace.
 * The Role in k8s/base/operator.yaml grants exactly these (docs/kubernetes.md).
 */
export class KubeApi {
  readonly customObjects: CustomObjectsApi;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly coordination: CoordinationV1Api;
  readonly watcher: Watch;

  constructor(
    readonly config: KubeConfig,
    readonly namespace: string,
  ) {
    this.customObjects = config.makeApiClient(CustomObjectsApi);
    this.core = config.makeApiClient(CoreV1Api);
    this.apps = config.makeApiClient(AppsV1Api);
    this.coordination = config.makeApiClient(CoordinationV1Api);
    this.watcher = new Watch(config);
  }

  get functionsPath(): string {
    return `/apis/${functionGroup}/${functionVersion}/namespaces/${this.namespace}/${functionPlural}`;
  }

  private get functionRef() {
    return { group: functionGroup, version: functionVersion, namespace: this.namespace, plural: functionPlural };
  }

  async listFunctions(): Promise<FunctionList> {
    const list = (await this.customObjects.listNamespacedCustomObject(this.functionRef)) as { items: FunctionResource[]; metadata: { resourceVersion: string } };
    return { items: list.items, resourceVersion: list.metadata.resourceVersion };
  }

  async getFunction(name: string): Promise<FunctionResource | null> {
    try {
      return (await this.customObjects.getNamespacedCustomObject({ ...this.functionRef, name })) as FunctionResource;
    } catch (error) {
      if (statusCodeOf(error) === 404) return null;
      throw error;
    }
  }

  /** PUT: fails with 409 when the object changed since it was read (its resourceVersion). */
  async replaceFunction(resource: FunctionResource): Promise<FunctionResource> {
    return (await this.customObjects.replaceNamespacedCustomObject({ ...this.functionRef, name: resource.metadata.name, body: resource })) as FunctionResource;
  }

  /** Replaces the status subresource (a JSON patch; the spec is untouched). */
  async writeStatus(name: string, status: FunctionStatus): Promise<FunctionResource> {
    return (await this.customObjects.patchNamespacedCustomObjectStatus({
      ...this.functionRef,
      name,
      body: [{ op: 'add', path: '/status', value: status }],
    })) as FunctionResource;
  }

  async readConfigMap(name: string): Promise<ConfigMapData | null> {
    try {
      const found = await this.core.readNamespacedConfigMap({ namespace: this.namespace, name });
      return { ...(found.data === undefined ? {} : { data: found.data }), ...(found.binaryData === undefined ? {} : { binaryData: found.binaryData }) };
    } catch (error) {
      if (statusCodeOf(error) === 404) return null;
      throw error;
    }
  }

  async createEvent(event: KubeEvent, reporter: { component: string; instance: string }): Promise<void> {
    const now = new Date();
    const suffix = `${now.getTime().toString(16)}${Math.floor(Math.random() * 0xffff).toString(16)}`;
    await this.core.createNamespacedEvent({
      namespace: this.namespace,
      body: {
        metadata: { name: `${event.involvedObject.name}.${suffix}`, namespace: this.namespace },
        involvedObject: event.involvedObject,
        type: event.type,
        reason: event.reason,
        message: event.message.slice(0, 1024),
        source: { component: reporter.component },
        reportingComponent: reporter.component,
        reportingInstance: reporter.instance,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      },
    });
  }

  async readLease(name: string): Promise<V1Lease | null> {
    try {
      return await this.coordination.readNamespacedLease({ namespace: this.namespace, name });
    } catch (error) {
      if (statusCodeOf(error) === 404) return null;
      throw error;
    }
  }

  createLease(lease: V1Lease): Promise<V1Lease> {
    return this.coordination.createNamespacedLease({ namespace: this.namespace, body: lease });
  }

  /** PUT with the lease's resourceVersion: 409 when another replica wrote it first. */
  replaceLease(lease: V1Lease): Promise<V1Lease> {
    return this.coordination.replaceNamespacedLease({ namespace: this.namespace, name: lease.metadata?.name ?? '', body: lease });
  }

  async readReplicas(deployment: string): Promise<number> {
    const scale = await this.apps.readNamespacedDeploymentScale({ namespace: this.namespace, name: deployment });
    return scale.spec?.replicas ?? 0;
  }

  async writeReplicas(deployment: string, replicas: number): Promise<void> {
    await this.apps.patchNamespacedDeploymentScale({
      namespace: this.namespace,
      name: deployment,
      body: [{ op: 'replace', path: '/spec/replicas', value: replicas }],
    });
  }
}
