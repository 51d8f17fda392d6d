// The REST semantics of the API server over the object store: create, update (main resource
// and /status), patch, delete with finalizers, /scale, and what writes to Namespaces, Secrets
// and CustomResourceDefinitions set off. The HTTP layer (http.ts) only parses and answers.
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { establishedStatus, resourceTypesOf, validateCrd } from './crds.js';
import { readPath, writePath } from './json-path.js';
import { jsonPatch, mergePatch, patchContentTypes, strategicMerge } from './patch.js';
import { apiVersionOf, storageKey, type ResourceRegistry, type ResourceType } from './resources.js';
import type { Selector } from './selectors.js';
import { ApiError, errors } from './status.js';
import type { ObjectStore } from './store.js';
import type { K8sObject, ObjectMeta } from './types.js';
import { generateName, timestamp, validateName } from './validation.js';

export interface WriteOptions {
  /** dryRun=All: everything but the write. */
  dryRun?: boolean;
  /** Keep .status from the body even where a status subresource exists (putObject: tests play the controllers). */
  keepStatus?: boolean;
  /** Skip the check that the namespace exists (putObject). */
  anyNamespace?: boolean;
  /** Allow a write without metadata.resourceVersion where the resource requires one (custom resources). */
  unconditional?: boolean;
}

export interface DeleteOptions {
  preconditions?: { uid?: string; resourceVersion?: string };
}

/** Called when a CRD stops serving its types, so open watches on them can be ended. */
export type ResourcesRemoved = (types: ResourceType[]) => void;

const namespaces = { group: '', plural: 'namespaces' };
const crds = { group: 'apiextensions.k8s.io', plural: 'customresourcedefinitions' };
const isType = (t: { group: string; plural: string }, other: { group: string; plural: string }) =>
  t.group === other.group && t.plural === other.plural;

const clone = <T>(v: T): T => structuredClone(v);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The fields a change of which bumps metadata.generation. */
function specPart(type: ResourceType, object: K8sObject): Record<string, unknown> {
  const { metadata: _m, apiVersion: _a, kind: _k, ...rest } = object;
  // Custom resources without a status subresource count status too; built-ins never do.
  if (!type.statusSubresource && type.crd !== undefined) return rest;
  const { status: _s, ...spec } = rest;
  return spec;
}

const withoutVersion = (object: K8sObject) => ({ ...object, metadata: { ...object.metadata, resourceVersion: undefined } });

export class Registry {
  constructor(
    private readonly store: ObjectStore,
    readonly resources: ResourceRegistry,
    private readonly onResourcesRemoved: ResourcesRemoved,
  ) {
    this.createSystemNamespaces();
  }

  /** A copy of a stored object as served at the type's version (custom resources share storage across versions). */
  served(type: ResourceType, object: K8sObject): K8sObject {
    const copy = clone(object);
    copy.apiVersion = apiVersionOf(type);
    return copy;
  }

  find(type: ResourceType, namespace: string | undefined, name: string): K8sObject | undefined {
    return this.store.get(storageKey(type), type.namespaced ? namespace : undefined, name);
  }

  get(type: ResourceType, namespace: string | undefined, name: string): K8sObject {
    const object = this.find(type, namespace, name);
    if (!object) throw errors.notFound(type, name);
    return this.served(type, object);
  }

  list(type: ResourceType, namespace: string | undefined, selector: Selector): { items: K8sObject[]; resourceVersion: string } {
    const items = this.store
      .list(storageKey(type), type.namespaced ? namespace : undefined)
      .filter(selector)
      .map((o) => this.served(type, o));
    return { items, resourceVersion: String(this.store.resourceVersion) };
  }

  create(type: ResourceType, namespace: string | undefined, body: unknown, options: WriteOptions = {}): K8sObject {
    const object = this.checkBody(type, namespace, body);
    const meta = object.metadata;
    if ((meta.name === undefined || meta.name === '') && meta.generateName) meta.name = generateName(meta.generateName);
    this.checkName(type, meta.name);
    const name = meta.name ?? '';
    if (meta.resourceVersion !== undefined && meta.resourceVersion !== '') {
      throw errors.internal('resourceVersion should not be set on objects to be created');
    }
    if (type.namespaced && !options.anyNamespace && !this.store.get(storageKey(namespaces), undefined, namespace ?? '')) {
      throw errors.notFound(namespaces, namespace ?? '');
    }
    if (this.find(type, namespace, name)) throw errors.alreadyExists(type, name);

    for (const field of ['uid', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'selfLink'] as const) delete meta[field];
    meta.uid = randomUUID();
    meta.creationTimestamp = timestamp();
    meta.generation = 1;
    if (type.statusSubresource && !options.keepStatus) delete object['status'];
    this.prepare(type, object, undefined);
    if (options.dryRun) return this.served(type, object);
    const created = this.store.commit('ADDED', storageKey(type), object);
    this.afterWrite(type, created);
    return this.served(type, created);
  }

  /** PUT of the object (subresource undefined) or of its /status. */
  update(type: ResourceType, namespace: string | undefined, name: string, body: unknown, subresource?: 'status', options: WriteOptions = {}): K8sObject {
    const existing = this.find(type, namespace, name);
    if (!existing) throw errors.notFound(type, name);
    const object = this.checkBody(type, namespace, body);
    const meta = object.metadata;
    if (meta.name !== name) {
      throw errors.badRequest(`the name of the object (${meta.name ?? ''}) does not match the name on the URL (${name})`);
    }
    if (meta.resourceVersion !== undefined && meta.resourceVersion !== '') {
      if (meta.resourceVersion !== existing.metadata.resourceVersion) throw errors.conflict(type, name);
    } else if (type.crd !== undefined && !options.unconditional) {
      throw errors.invalid(type.kind, type.group, name, [
        { field: 'metadata.resourceVersion', reason: 'FieldValueInvalid', message: 'Invalid value: 0x0: must be specified for an update' },
      ]);
    }
    if (meta.uid !== undefined && meta.uid !== '' && meta.uid !== existing.metadata.uid) {
      throw errors.conflict(type, name, `Precondition failed: UID in precondition: ${meta.uid}, UID in object meta: ${existing.metadata.uid ?? ''}`);
    }

    let next: K8sObject;
    if (subresource === 'status') {
      // /status changes .status and nothing else.
      next = clone(existing);
      if (object['status'] === undefined) delete next['status'];
      else next['status'] = object['status'];
    } else {
      next = object;
      this.keepSystemMetadata(next.metadata, existing.metadata);
      if (type.statusSubresource && !options.keepStatus) {
        if (existing['status'] === undefined) delete next['status'];
        else next['status'] = clone(existing['status']);
      }
      const oldFinalizers = existing.metadata.finalizers ?? [];
      if (existing.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).some((f) => !oldFinalizers.includes(f))) {
        throw errors.invalid(type.kind, type.group, name, [
          { field: 'metadata.finalizers', reason: 'FieldValueForbidden', message: 'Forbidden: no new finalizers can be added if the object is being deleted' },
        ]);
      }
      this.prepare(type, next, existing);
      if (!isDeepStrictEqual(specPart(type, next), specPart(type, existing))) next.metadata.generation = (existing.metadata.generation ?? 0) + 1;
    }
    next.apiVersion = existing.apiVersion;
    next.metadata.resourceVersion = existing.metadata.resourceVersion;
    // A write that changes nothing is not a write: same resourceVersion, no event.
    if (isDeepStrictEqual(withoutVersion(next), withoutVersion(existing))) return this.served(type, existing);
    if (options.dryRun) return this.served(type, next);

    if (next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0) {
      const deleted = this.store.commit('DELETED', storageKey(type), next, existing);
      this.afterDelete(type, deleted);
      return this.served(type, deleted);
    }
    const updated = this.store.commit('MODIFIED', storageKey(type), next, existing);
    this.afterWrite(type, updated);
    return this.served(type, updated);
  }

  patch(type: ResourceType, namespace: string | undefined, name: string, contentType: string, patch: unknown, subresource?: 'status', options: WriteOptions = {}): K8sObject {
    const existing = this.get(type, namespace, name);
    const patched = this.applyPatch(type, existing, contentType, patch);
    if (!isRecord(patched) || !isRecord(patched['metadata'])) throw errors.badRequest('the patch does not leave an object');
    const result = patched as K8sObject;
    // A patch that sets metadata.resourceVersion makes it a precondition; otherwise it applies to the latest.
    if (result.metadata.resourceVersion === undefined || result.metadata.resourceVersion === '') result.metadata.resourceVersion = existing.metadata.resourceVersion;
    return this.update(type, namespace, name, result, subresource, { ...options, unconditional: true });
  }

  delete(type: ResourceType, namespace: string | undefined, name: string, deleteOptions: DeleteOptions = {}, options: WriteOptions = {}): K8sObject | Record<string, unknown> {
    const existing = this.find(type, namespace, name);
    if (!existing) throw errors.notFound(type, name);
    const { uid, resourceVersion } = deleteOptions.preconditions ?? {};
    if (uid && uid !== existing.metadata.uid) {
      throw errors.conflict(type, name, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${existing.metadata.uid ?? ''}`);
    }
    if (resourceVersion && resourceVersion !== existing.metadata.resourceVersion) {
      throw errors.conflict(type, name, `Precondition failed: ResourceVersion in precondition: ${resourceVersion}, ResourceVersion in object meta: ${existing.metadata.resourceVersion ?? ''}`);
    }
    if ((existing.metadata.finalizers ?? []).length > 0) {
      if (existing.metadata.deletionTimestamp || options.dryRun) return this.served(type, existing);
      const next = clone(existing);
      next.metadata.deletionTimestamp = timestamp();
      next.metadata.deletionGracePeriodSeconds = 0;
      if ((next.metadata.generation ?? 0) > 0) next.metadata.generation = (next.metadata.generation ?? 0) + 1;
      return this.served(type, this.store.commit('MODIFIED', storageKey(type), next, existing));
    }
    if (options.dryRun) return this.served(type, existing);
    if (isType(type, namespaces)) this.deleteNamespaceContents(name);
    const deleted = this.store.commit('DELETED', storageKey(type), clone(existing), existing);
    this.afterDelete(type, deleted);
    if (type.returnDeletedObject) return this.served(type, deleted);
    const details: Record<string, unknown> = { name, kind: type.plural, uid: deleted.metadata.uid };
    if (type.group !== '') details['group'] = type.group;
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
  }

  /** Creates or replaces an object as a client would, keeping its .status (FakeApiServer.putObject). */
  put(object: K8sObject): K8sObject {
    const type = this.resources.byKind(object.apiVersion, object.kind);
    if (!type) throw new Error(`the fake API server serves no ${object.kind} in ${object.apiVersion}`);
    const namespace = type.namespaced ? (object.metadata.namespace ?? 'default') : undefined;
    const name = object.metadata.name ?? '';
    const body = clone(object);
    delete body.metadata.resourceVersion;
    if (this.find(type, namespace, name)) return this.update(type, namespace, name, body, undefined, { keepStatus: true, unconditional: true });
    return this.create(type, namespace, body, { keepStatus: true, anyNamespace: true });
  }

  // --- /scale -------------------------------------------------------------------------------

  getScale(type: ResourceType, namespace: string | undefined, name: string): K8sObject {
    return this.scaleOf(type, this.get(type, namespace, name));
  }

  updateScale(type: ResourceType, namespace: string | undefined, name: string, body: unknown, options: WriteOptions = {}): K8sObject {
    const scale = type.scale;
    if (!scale) throw errors.noRoute();
    const existing = this.get(type, namespace, name);
    if (!isRecord(body)) throw errors.badRequest('the body of a Scale update must be an object');
    const replicas = (body['spec'] as { replicas?: unknown } | undefined)?.replicas ?? 0;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw errors.invalid('Scale', 'autoscaling', name, [
        { field: 'spec.replicas', reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0` },
      ]);
    }
    const requested = (body['metadata'] as ObjectMeta | undefined)?.resourceVersion;
    if (requested && requested !== existing.metadata.resourceVersion) throw errors.conflict(type, name);
    writePath(existing, scale.specReplicasPath, replicas);
    const updated = this.update(type, namespace, name, existing, undefined, { ...options, unconditional: true });
    return this.scaleOf(type, updated);
  }

  patchScale(type: ResourceType, namespace: string | undefined, name: string, contentType: string, patch: unknown, options: WriteOptions = {}): K8sObject {
    const patched = this.applyPatch(type, this.getScale(type, namespace, name), contentType, patch, true);
    return this.updateScale(type, namespace, name, patched, options);
  }

  private scaleOf(type: ResourceType, object: K8sObject): K8sObject {
    const scale = type.scale;
    if (!scale) throw errors.noRoute();
    const { name, namespace, uid, resourceVersion, creationTimestamp } = object.metadata;
    const status: Record<string, unknown> = { replicas: readPath(object, scale.statusReplicasPath) ?? 0 };
    const selector = scale.selector(object);
    if (selector !== undefined) status['selector'] = selector;
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
      spec: { replicas: readPath(object, scale.specReplicasPath) ?? 0 },
      status,
    };
  }

  // --- helpers ------------------------------------------------------------------------------

  /** `scale`: the target is the autoscaling/v1 Scale, a built-in type even for custom resources. */
  private applyPatch(type: ResourceType, target: K8sObject, contentType: string, patch: unknown, scale = false): unknown {
    switch (contentType) {
      case patchContentTypes.merge:
        return mergePatch(target, patch);
      case patchContentTypes.json:
        return jsonPatch(target, patch);
      case patchContentTypes.strategic:
        if (type.crd === undefined || scale) return strategicMerge(target, patch);
        throw errors.unsupportedMediaType(contentType, [patchContentTypes.json, patchContentTypes.merge]);
      default: {
        const accepted = type.crd === undefined || scale ? [patchContentTypes.json, patchContentTypes.merge, patchContentTypes.strategic] : [patchContentTypes.json, patchContentTypes.merge];
        throw errors.unsupportedMediaType(contentType, accepted);
      }
    }
  }

  /** The body of a create or update, checked against the URL, as a fresh object. */
  private checkBody(type: ResourceType, namespace: string | undefined, body: unknown): K8sObject {
    if (!isRecord(body)) throw errors.badRequest('the body of the request must be a JSON object');
    const object = clone(body) as K8sObject;
    const expected = apiVersionOf(type);
    if (object.apiVersion === undefined || object.apiVersion === '') object.apiVersion = expected;
    else if (object.apiVersion !== expected) {
      throw errors.badRequest(`the API version in the data (${object.apiVersion}) does not match the expected API version (${expected})`);
    }
    if (object.kind === undefined || object.kind === '') object.kind = type.kind;
    if (!isRecord(object.metadata)) object.metadata = {};
    const name = object.metadata.name ?? '';
    if (object.kind !== type.kind) {
      throw errors.invalid(type.kind, type.group, name, [{ field: 'kind', reason: 'FieldValueInvalid', message: `Invalid value: "${object.kind}": must be ${type.kind}` }]);
    }
    if (type.namespaced) {
      const given = object.metadata.namespace;
      if (given !== undefined && given !== '' && given !== namespace) {
        throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      if (namespace === undefined) throw errors.methodNotAllowed();
      object.metadata.namespace = namespace;
    } else delete object.metadata.namespace;
    return object;
  }

  private checkName(type: ResourceType, name: string | undefined): void {
    const causes = validateName(name, type.nameRule);
    if (causes.length > 0) throw errors.invalid(type.kind, type.group, name ?? '', causes);
  }

  /** What clients cannot change with an update. */
  private keepSystemMetadata(next: ObjectMeta, existing: ObjectMeta): void {
    for (const field of ['uid', 'creationTimestamp', 'generation', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'namespace', 'name'] as const) {
      if (existing[field] === undefined) delete next[field];
      else next[field] = existing[field] as never;
    }
    delete next.selfLink;
  }

  /** Kind-specific changes and checks before a write (what the real server's strategies do). */
  private prepare(type: ResourceType, object: K8sObject, existing: K8sObject | undefined): void {
    if (isType(type, { group: '', plural: 'secrets' })) {
      // stringData is write-only: the v1 → internal conversion folds it into data.
      const stringData = object['stringData'];
      if (isRecord(stringData)) {
        const data = isRecord(object['data']) ? { ...object['data'] } : {};
        for (const [key, value] of Object.entries(stringData)) data[key] = Buffer.from(String(value)).toString('base64');
        object['data'] = data;
      }
      delete object['stringData'];
      if (object['type'] === undefined) object['type'] = 'Opaque';
    }
    if (isType(type, namespaces) && existing === undefined && object['status'] === undefined) object['status'] = { phase: 'Active' };
    if (isType(type, crds)) validateCrd(object);
  }

  private afterWrite(type: ResourceType, object: K8sObject): void {
    if (!isType(type, crds)) return;
    const name = object.metadata.name ?? '';
    this.resources.setCustom(name, resourceTypesOf(object));
    // The apiextensions controllers: names accepted, established, as a separate status write.
    const status = isRecord(object['status']) ? object['status'] : {};
    const wanted = establishedStatus(object, timestamp());
    const conditions = Array.isArray(status['conditions']) ? (status['conditions'] as { type?: string; status?: string }[]) : [];
    const established = conditions.some((c) => c.type === 'Established' && c.status === 'True');
    if (established && isDeepStrictEqual(status['acceptedNames'], wanted['acceptedNames'])) return;
    const next = clone(object);
    next['status'] = established ? { ...wanted, conditions } : wanted;
    this.store.commit('MODIFIED', storageKey(type), next, object);
  }

  private afterDelete(type: ResourceType, object: K8sObject): void {
    if (!isType(type, crds)) return;
    // The CRD's cleanup finalizer, done at once: its objects go, then it stops being served.
    const removed = this.resources.removeCustom(object.metadata.name ?? '');
    const first = removed[0];
    if (first) {
      for (const instance of this.store.list(storageKey(first))) this.store.commit('DELETED', storageKey(first), clone(instance), instance);
    }
    this.onResourcesRemoved(removed);
  }

  /** The namespace controller, done at once: every object in the namespace is deleted (finalizers still hold theirs). */
  private deleteNamespaceContents(namespace: string): void {
    const seen = new Set<string>();
    for (const type of this.resources.all()) {
      if (!type.namespaced || seen.has(storageKey(type))) continue;
      seen.add(storageKey(type));
      for (const object of this.store.list(storageKey(type), namespace)) {
        try {
          this.delete(type, namespace, object.metadata.name ?? '');
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
        }
      }
    }
  }

  private createSystemNamespaces(): void {
    const type = this.resources.byKind('v1', 'Namespace');
    if (!type) return;
    for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      this.create(type, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    }
  }
}
