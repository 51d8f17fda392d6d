// The HTTP face of the fake: parses a request, routes it to discovery, the registry or a watch,
// and answers. This is the one place errors become responses (a metav1 Status body).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { apiGroup, apiGroupList, apiResourceList, apiVersions, serverVersion } from './discovery.js';
import type { Registry, WriteOptions } from './registry.js';
import { apiVersionOf, type ResourceType } from './resources.js';
import { selectorOf } from './selectors.js';
import { ApiError, errors, failureStatus, reasonForCode } from './status.js';
import { negotiate, partialMetadata, toTable } from './table.js';
import type { Fault, K8sObject, RecordedRequest } from './types.js';
import type { WatchHub } from './watch.js';

export interface HttpContext {
  registry: Registry;
  hub: WatchHub;
  /** host:port, for /api's serverAddressByClientCIDRs. */
  serverAddress(): string;
  record(request: RecordedRequest): void;
  /** The first injected fault matching the request, counted down. */
  takeFault(method: string, path: string): Fault | undefined;
}

interface Request {
  method: string;
  path: string;
  segments: string[];
  query: URLSearchParams;
  contentType: string;
  accept: string | undefined;
  body: unknown;
}

type Answer = { status: number; body: unknown } | { watch: true };

/** A resource URL taken apart: /api/v1/namespaces/ns/configmaps/name/status and friends. */
interface ResourcePath {
  type: ResourceType;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
  legacyWatch: boolean;
}

const namespaceSubresources = new Set(['status', 'finalize']);
const maxBodyBytes = 3 * 1024 * 1024;

export async function handle(context: HttpContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://fake');
  const method = (req.method ?? 'GET').toUpperCase();
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
  const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  const rawContentType = req.headers['content-type'] ?? null;
  const recorded = { method, path, query: Object.fromEntries(url.searchParams), user: bearer?.[1] ?? null, contentType: rawContentType };
  const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json', 'Cache-Control': 'no-cache, private', ...headers });
    res.end(text);
    context.record({ ...recorded, status, at: Date.now() });
  };
  try {
    const raw = await readBody(req);
    const fault = context.takeFault(method, path);
    if (fault) {
      const status = failureStatus(fault.status, reasonForCode(fault.status), fault.message ?? `injected fault: ${method} ${path}`);
      if (fault.status === 429) status.details = { retryAfterSeconds: 1 };
      send(fault.status, status, fault.status === 429 ? { 'Retry-After': '1' } : {});
      return;
    }
    const contentType = (rawContentType ?? 'application/json').split(';')[0]?.trim().toLowerCase() ?? '';
    let body: unknown;
    if (raw.length > 0 && method === 'PATCH' && !contentType.endsWith('json')) {
      body = raw.toString('utf8'); // apply-patch+yaml and unknown types: the registry answers 415
    } else if (raw.length > 0) {
      if (method !== 'PATCH' && contentType !== 'application/json') {
        throw errors.unsupportedMediaType(contentType, ['application/json']);
      }
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch (error) {
        throw errors.badRequest(`the body of the request could not be parsed as JSON: ${(error as Error).message}`);
      }
    }
    const request: Request = { method, path, segments: path.split('/').filter(Boolean), query: url.searchParams, contentType, accept: req.headers.accept, body };
    const answer = route(context, request, res);
    if ('watch' in answer) context.record({ ...recorded, status: 200, at: Date.now() });
    else send(answer.status, answer.body);
  } catch (error) {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const apiError = error instanceof ApiError ? error : errors.internal(error instanceof Error ? error.message : String(error));
    send(apiError.code, apiError.status);
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes) throw new ApiError(failureStatus(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728'));
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function route(context: HttpContext, request: Request, res: ServerResponse): Answer {
  const { segments, method } = request;
  const resources = context.registry.resources;
  const [first, second, third] = segments;
  const get = (body: unknown): Answer => {
    if (method !== 'GET') throw errors.methodNotAllowed();
    if (body === undefined) throw errors.noRoute();
    return { status: 200, body };
  };
  if (segments.length === 1 && first === 'version') return get(serverVersion);
  if (segments.length === 1 && (first === 'healthz' || first === 'livez' || first === 'readyz')) return get('ok');
  if (segments.length === 1 && first === 'api') return get(apiVersions(context.serverAddress()));
  if (segments.length === 1 && first === 'apis') return get(apiGroupList(resources));
  if (segments.length === 2 && first === 'api') return get(apiResourceList(resources, '', second ?? ''));
  if (segments.length === 2 && first === 'apis') return get(apiGroup(resources, second ?? ''));
  if (segments.length === 3 && first === 'apis') return get(apiResourceList(resources, second ?? '', third ?? ''));
  const target = resolve(context, segments);
  if (!target) throw errors.noRoute();
  return serveResource(context, request, target, res);
}

function resolve(context: HttpContext, segments: string[]): ResourcePath | undefined {
  let rest: string[];
  let group: string;
  let version: string;
  if (segments[0] === 'api' && segments.length >= 3) [group, version, rest] = ['', segments[1] ?? '', segments.slice(2)];
  else if (segments[0] === 'apis' && segments.length >= 4) [group, version, rest] = [segments[1] ?? '', segments[2] ?? '', segments.slice(3)];
  else return undefined;
  const legacyWatch = rest[0] === 'watch';
  if (legacyWatch) rest = rest.slice(1);
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(group === '' && rest.length === 3 && namespaceSubresources.has(rest[2] ?? ''))) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  if (rest.length === 0 || rest.length > 3) return undefined;
  const [plural = '', name, subresource] = rest;
  const type = context.registry.resources.find(group, version, plural);
  if (!type) return undefined;
  if (type.namespaced ? namespace === undefined && name !== undefined : namespace !== undefined) return undefined;
  return { type, namespace, name, subresource, legacyWatch };
}

function writeOptions(query: URLSearchParams): WriteOptions {
  const dryRun = query.getAll('dryRun');
  if (dryRun.some((v) => v !== 'All')) throw errors.badRequest(`dryRun: Unsupported value: "${dryRun.join(',')}": supported values: "All"`);
  return { dryRun: dryRun.length > 0 };
}

function serveResource(context: HttpContext, request: Request, target: ResourcePath, res: ServerResponse): Answer {
  const { registry } = context;
  const { type, namespace, name, subresource } = target;
  const { method, query, body, contentType } = request;
  const watch = target.legacyWatch || query.get('watch') === 'true' || query.get('watch') === '1';
  const representation = negotiate(request.accept);

  if (watch) {
    if (method !== 'GET' || subresource !== undefined) throw errors.methodNotAllowed();
    const rv = query.get('resourceVersion') ?? '';
    if (rv !== '' && !/^\d+$/.test(rv)) throw errors.badRequest(`invalid resource version: ${rv}`);
    const timeout = query.get('timeoutSeconds');
    if (timeout !== null && !(Number(timeout) >= 0)) throw errors.badRequest(`invalid timeoutSeconds: ${timeout}`);
    const initial = query.get('sendInitialEvents');
    context.hub.open(
      {
        type,
        namespace,
        name,
        selector: selectorOf(query),
        resourceVersion: rv,
        sendInitialEvents: initial === null ? undefined : initial === 'true',
        allowBookmarks: query.get('allowWatchBookmarks') === 'true',
        timeoutSeconds: timeout === null ? undefined : Number(timeout),
        path: request.path,
      },
      res,
    );
    return { watch: true };
  }

  const present = (object: K8sObject): unknown => {
    if (representation.as === 'table') return toTable(type, [object], object.metadata.resourceVersion ?? '', representation.version, query.get('includeObject'));
    if (representation.as === 'partial') return partialMetadata(object, representation.version);
    return object;
  };

  if (name === undefined) {
    if (method === 'GET') {
      const { items, resourceVersion } = registry.list(type, namespace, selectorOf(query));
      if (representation.as === 'table') return { status: 200, body: toTable(type, items, resourceVersion, representation.version, query.get('includeObject')) };
      if (representation.as === 'partial') {
        const partial = items.map((o) => partialMetadata(o, representation.version));
        return { status: 200, body: { kind: 'PartialObjectMetadataList', apiVersion: `meta.k8s.io/${representation.version}`, metadata: { resourceVersion }, items: partial } };
      }
      return { status: 200, body: { apiVersion: apiVersionOf(type), kind: type.listKind, metadata: { resourceVersion }, items } };
    }
    if (method === 'POST') {
      if (type.namespaced && namespace === undefined) throw errors.methodNotAllowed();
      return { status: 201, body: registry.create(type, namespace, body, writeOptions(query)) };
    }
    if (method === 'DELETE') {
      const options = writeOptions(query);
      const { items, resourceVersion } = registry.list(type, namespace, selectorOf(query));
      for (const item of items) registry.delete(type, item.metadata.namespace, item.metadata.name ?? '', {}, options);
      return { status: 200, body: { apiVersion: apiVersionOf(type), kind: type.listKind, metadata: { resourceVersion }, items } };
    }
    throw errors.methodNotAllowed();
  }

  if (subresource === undefined) {
    switch (method) {
      case 'GET':
        return { status: 200, body: present(registry.get(type, namespace, name)) };
      case 'PUT':
        return { status: 200, body: registry.update(type, namespace, name, body, undefined, writeOptions(query)) };
      case 'PATCH':
        return { status: 200, body: registry.patch(type, namespace, name, contentType, body, undefined, writeOptions(query)) };
      case 'DELETE':
        return { status: 200, body: registry.delete(type, namespace, name, (body ?? {}) as object, writeOptions(query)) };
      default:
        throw errors.methodNotAllowed();
    }
  }

  if (subresource === 'status' && type.statusSubresource) {
    switch (method) {
      case 'GET':
        return { status: 200, body: registry.get(type, namespace, name) };
      case 'PUT':
        return { status: 200, body: registry.update(type, namespace, name, body, 'status', writeOptions(query)) };
      case 'PATCH':
        return { status: 200, body: registry.patch(type, namespace, name, contentType, body, 'status', writeOptions(query)) };
      default:
        throw errors.methodNotAllowed();
    }
  }

  if (subresource === 'scale' && type.scale) {
    switch (method) {
      case 'GET':
        return { status: 200, body: registry.getScale(type, namespace, name) };
      case 'PUT':
        return { status: 200, body: registry.updateScale(type, namespace, name, body, writeOptions(query)) };
      case 'PATCH':
        return { status: 200, body: registry.patchScale(type, namespace, name, contentType, body, writeOptions(query)) };
      default:
        throw errors.methodNotAllowed();
    }
  }
  throw errors.noRoute();
}
