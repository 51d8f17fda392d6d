import type { Logger } from '@isola/core';
import { functionApiVersion, functionKind, type FunctionResource } from './function-resource.js';
import { describeKubeError, type KubeApi } from './kube.js';

/**
 * Writes Kubernetes Events about Functions (what `kubectl describe function x` shows). The same
 * reason and message for the same object is written once until something else happens to it,
 * so a Function retried every few seconds does not flood the namespace. Best effort: an Event
 * that cannot be written is logged, never retried.
 */
export class EventRecorder {
  private readonly last = new Map<string, string>();

  constructor(
    private readonly kube: KubeApi,
    private readonly instance: string,
    private readonly logger: Logger,
  ) {}

  emit(resource: FunctionResource, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const key = resource.metadata.uid ?? resource.metadata.name;
    const said = `${type}/${reason}/${message}`;
    if (this.last.get(key) === said) return;
    this.last.set(key, said);
    if (this.last.size > 10_000) this.last.delete(this.last.keys().next().value as string);
    const involvedObject = {
      apiVersion: functionApiVersion,
      kind: functionKind,
      name: resource.metadata.name,
      namespace: resource.metadata.namespace,
      uid: resource.metadata.uid,
      resourceVersion: resource.metadata.resourceVersion,
    };
    this.kube
      .createEvent({ type, reason, message, involvedObject }, { component: 'isola-operator', instance: this.instance })
      .catch((error: unknown) => this.logger.warn({ err: describeKubeError(error), reason }, 'could not write an Event'));
  }
}
