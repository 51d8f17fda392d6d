// The PATCH formats: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and an approximation of
// strategic merge patch. Server-side apply (application/apply-patch+yaml) is not implemented.
//
// Strategic merge patch, approximated: a JSON merge patch, except that lists the built-in types
// declare `patchStrategy: merge` are merged element by element on their merge key (containers,
// env, volumes by name; volumeMounts by mountPath; container ports by containerPort; Service
// ports by port; conditions by type; ownerReferences by uid; finalizers as a set), found by the
// field's name and, for ports, its place. Every other list is replaced whole, as the real server
// does for lists without a strategy. Directives honoured: `$patch: replace|delete` (in maps and
// list elements), `$retainKeys`, `$deleteFromPrimitiveList/<field>`; `$setElementOrder/<field>`
// is dropped (merged lists keep the original order, new elements last).
import { errors } from './status.js';

export const patchContentTypes = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

type Json = unknown;
type JsonObject = Record<string, Json>;
const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const clone = <T>(v: T): T => structuredClone(v);

export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const result: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

// --- RFC 6902 -------------------------------------------------------------------------------

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: Json;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw errors.badRequest(`JSON pointer must start with "/": ${path}`);
  return path
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** A patch that parses but does not apply: the real server answers 422 Invalid with the bare message. */
class PatchApplyError extends Error {}
const cannotApply = (message: string) => new PatchApplyError(message);

function parentOf(doc: Json, tokens: string[], path: string): { parent: Json; key: string } {
  let node = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(node)) node = node[Number(token)];
    else if (isObject(node)) node = node[token];
    else node = undefined;
    if (node === undefined) throw cannotApply(`doc is missing path: "${path}": missing value`);
  }
  return { parent: node, key: tokens[tokens.length - 1] ?? '' };
}

function arrayIndex(key: string, length: number, allowEnd: boolean, path: string): number {
  if (allowEnd && key === '-') return length;
  if (!/^(0|[1-9]\d*)$/.test(key)) throw cannotApply(`invalid array index "${key}" in "${path}"`);
  const index = Number(key);
  if (index > length || (!allowEnd && index === length)) throw cannotApply(`array index out of bounds: "${path}"`);
  return index;
}

function get(doc: Json, path: string): Json {
  const tokens = pointer(path);
  if (tokens.length === 0) return doc;
  const { parent, key } = parentOf(doc, tokens, path);
  const value = Array.isArray(parent) ? parent[arrayIndex(key, parent.length, false, path)] : isObject(parent) ? parent[key] : undefined;
  if (value === undefined) throw cannotApply(`doc is missing path: "${path}": missing value`);
  return value;
}

function add(doc: Json, path: string, value: Json): Json {
  const tokens = pointer(path);
  if (tokens.length === 0) return value;
  const { parent, key } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(key, parent.length, true, path), 0, value);
  else if (isObject(parent)) parent[key] = value;
  else throw cannotApply(`doc is missing path: "${path}"`);
  return doc;
}

function remove(doc: Json, path: string): Json {
  const tokens = pointer(path);
  const { parent, key } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(key, parent.length, false, path), 1);
  else if (isObject(parent) && Object.hasOwn(parent, key)) delete parent[key];
  else throw cannotApply(`Unable to remove nonexistent key: ${key}: missing value`);
  return doc;
}

export function jsonPatch(target: Json, patch: Json): Json {
  if (!Array.isArray(patch)) {
    throw errors.badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  }
  let doc = clone(target);
  try {
    for (const raw of patch as Operation[]) {
      if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') {
        throw errors.badRequest(`invalid JSON patch operation: ${JSON.stringify(raw)}`);
      }
      const { op, path } = raw;
      switch (op) {
        case 'add':
          doc = add(doc, path, clone(raw.value));
          break;
        case 'remove':
          doc = remove(doc, path);
          break;
        case 'replace':
          get(doc, path);
          doc = add(remove(doc, path), path, clone(raw.value));
          break;
        case 'move': {
          const value = get(doc, raw.from ?? '');
          doc = add(remove(doc, raw.from ?? ''), path, value);
          break;
        }
        case 'copy':
          doc = add(doc, path, clone(get(doc, raw.from ?? '')));
          break;
        case 'test':
          if (JSON.stringify(canonical(get(doc, path))) !== JSON.stringify(canonical(raw.value ?? null))) {
            throw cannotApply(`testing value ${path} failed: test failed`);
          }
          break;
        default:
          throw errors.badRequest(`Unexpected kind: ${op}`);
      }
    }
  } catch (error) {
    throw error instanceof PatchApplyError ? errors.unprocessable(error.message) : error;
  }
  return doc;
}

/** Key order does not matter to `test`. */
function canonical(v: Json): Json {
  if (Array.isArray(v)) return v.map(canonical);
  if (isObject(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])]));
  return v;
}

// --- strategic merge patch ------------------------------------------------------------------

const containerLists = new Set(['containers', 'initContainers', 'ephemeralContainers']);
const mergeKeyByField: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
  conditions: 'type',
  ownerReferences: 'uid',
  topologySpreadConstraints: 'topologyKey',
  resourceClaims: 'name',
};
const primitiveSets = new Set(['finalizers']);

/** The merge key of the list at `path` (field names from the root), or undefined to replace it. */
function mergeKeyAt(path: readonly string[]): string | undefined {
  const field = path[path.length - 1] ?? '';
  if (field === 'ports') {
    const parent = path[path.length - 2] ?? '';
    if (containerLists.has(parent)) return 'containerPort';
    if (path.length === 2 && path[0] === 'spec') return 'port';
    return undefined;
  }
  if (field === 'secrets' && path.length === 1) return 'name';
  return mergeKeyByField[field];
}

const directivePrefix = '$';
const stripDirectives = (v: Json): Json => {
  if (Array.isArray(v)) return v.filter((item) => !(isObject(item) && item['$patch'] === 'delete')).map(stripDirectives);
  if (!isObject(v)) return v;
  return Object.fromEntries(Object.entries(v).filter(([k]) => !k.startsWith(directivePrefix)).map(([k, x]) => [k, stripDirectives(x)]));
};

function mergeList(original: Json[], patch: Json[], path: readonly string[]): Json[] {
  const field = path[path.length - 1] ?? '';
  if (patch.some((item) => isObject(item) && item['$patch'] === 'replace')) {
    return stripDirectives(patch.filter((item) => !(isObject(item) && item['$patch'] === 'replace'))) as Json[];
  }
  if (primitiveSets.has(field)) {
    return [...original, ...patch.filter((item) => !original.includes(item))];
  }
  const key = mergeKeyAt(path);
  if (key === undefined || !patch.every(isObject)) return stripDirectives(patch) as Json[];
  const result = original.map(clone);
  for (const item of patch as JsonObject[]) {
    const index = result.findIndex((o) => isObject(o) && o[key] === item[key]);
    if (item['$patch'] === 'delete') {
      if (index >= 0) result.splice(index, 1);
    } else if (index >= 0) {
      result[index] = strategicMerge(result[index], item, path);
    } else {
      result.push(stripDirectives(item));
    }
  }
  return result;
}

/** Applies a strategic merge patch (approximated: see the header). `path` names the fields from the root. */
export function strategicMerge(original: Json, patch: Json, path: readonly string[] = []): Json {
  if (!isObject(patch)) return clone(patch);
  if (patch['$patch'] === 'replace') return stripDirectives(patch);
  if (patch['$patch'] === 'delete') return undefined;
  const result: JsonObject = isObject(original) ? { ...original } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      const list = result[field];
      if (Array.isArray(list) && Array.isArray(value)) result[field] = list.filter((item) => !value.includes(item));
      continue;
    }
    if (key.startsWith(directivePrefix)) continue;
    const childPath = [...path, key];
    if (value === null) delete result[key];
    else if (Array.isArray(value)) result[key] = Array.isArray(result[key]) ? mergeList(result[key] as Json[], value, childPath) : stripDirectives(value);
    else if (isObject(value)) {
      const merged = strategicMerge(result[key], value, childPath);
      if (merged === undefined) delete result[key];
      else result[key] = merged;
    } else result[key] = value;
  }
  const retainKeys = patch['$retainKeys'];
  if (Array.isArray(retainKeys)) {
    for (const key of Object.keys(result)) if (!retainKeys.includes(key)) delete result[key];
  }
  return result;
}
