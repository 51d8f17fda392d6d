import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { componentName, defaultComponentNames, IsolaError } from '@isola/core';
import { parseAllDocuments, stringify } from 'yaml';
import { z } from 'zod';
import { componentKinds, governanceMetadata, isComponentType, type ComponentType } from './registry.js';

/** A component as a Dapr component YAML document defines it, checked against its type. */
export interface ComponentDefinition {
  name: string;
  type: ComponentType;
  version: string;
  metadata: Record<string, string>;
  /** Dapr's `scopes`: the functions (app ids) that may use it; null: any function that binds it. */
  scopes: string[] | null;
  /** Where it was defined: a file, or "(defaults)". */
  source: string;
}

/** The `source` of the default components. */
export const defaultsSource = '(defaults)';

/** Document kinds of Dapr's that may sit beside components in a resources folder; the sidecar skips them. */
const otherDaprKinds = new Set(['Configuration', 'Subscription', 'Resiliency', 'HTTPEndpoint']);

const metadataItem = z.strictObject({ name: z.string().min(1), value: z.union([z.string(), z.number(), z.boolean()]).transform(String) });

const documentSchema = z.strictObject({
  apiVersion: z.literal('dapr.io/v1alpha1', { error: 'must be dapr.io/v1alpha1' }),
  kind: z.literal('Component'),
  metadata: z.looseObject({ name: componentName, namespace: z.string().optional() }),
  spec: z.strictObject({
    type: z.string().min(1),
    version: z.literal('v1', { error: 'must be v1 (the only version of every Isola component)' }).default('v1'),
    metadata: z.array(z.unknown()).default([]),
    initTimeout: z.string().optional(),
    ignoreErrors: z.boolean().optional(),
  }),
  scopes: z.array(z.string().min(1)).optional(),
});

type Problem = string;

/**
 * Reads every component file (`*.yaml`, `*.yml`; several documents per file) of a folder. Throws
 * one BAD_REQUEST listing every problem by file and path, so a broken folder is fixed in one go.
 */
export function loadComponentsDir(dir: string): ComponentDefinition[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new IsolaError('BAD_REQUEST', `the components folder ${dir} does not exist (ISOLA_SIDECAR_COMPONENTS); create it or unset the setting to use the default components`);
  }
  const files = readdirSync(dir).filter((file) => /\.ya?ml$/i.test(file)).sort();
  const definitions: ComponentDefinition[] = [];
  const problems: Problem[] = [];
  for (const file of files) {
    const path = join(dir, file);
    const parsed = parseComponentsYaml(readFileSync(path, 'utf8'), path);
    definitions.push(...parsed.definitions);
    problems.push(...parsed.problems);
  }
  problems.push(...duplicateProblems(definitions));
  if (problems.length > 0) {
    throw new IsolaError('BAD_REQUEST', `invalid sidecar components in ${dir}:\n  ${problems.join('\n  ')}`, { problems });
  }
  if (definitions.length === 0) {
    throw new IsolaError('BAD_REQUEST', `the components folder ${dir} holds no component (no *.yaml file with kind: Component)`);
  }
  return definitions;
}

/** The components of one YAML text, and every problem found (prefixed with `source` and the document's number). */
export function parseComponentsYaml(text: string, source: string): { definitions: ComponentDefinition[]; problems: Problem[] } {
  const definitions: ComponentDefinition[] = [];
  const problems: Problem[] = [];
  parseAllDocuments(text).forEach((document, index) => {
    const where = (path: string) => `${source} (document ${index + 1})${path === '' ? '' : ` ${path}`}`;
    if (document.errors.length > 0) {
      for (const error of document.errors) problems.push(`${where('')}: ${error.message}`);
      return;
    }
    const value: unknown = document.toJS();
    if (value === null || value === undefined) return;
    const kindOf = (value as { kind?: unknown }).kind;
    if (typeof kindOf === 'string' && otherDaprKinds.has(kindOf)) return;
    const parsed = documentSchema.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push(`${where(issue.path.join('.'))}: ${issue.message}`);
      return;
    }
    const doc = parsed.data;
    const metadata: Record<string, string> = {};
    doc.spec.metadata.forEach((item, position) => {
      const entry = metadataItem.safeParse(item);
      if (typeof item === 'object' && item !== null && 'secretKeyRef' in item) {
        problems.push(`${where(`spec.metadata.${position}`)}: secretKeyRef is not supported; put the value in "value" (or read the secret at run time from a secret store)`);
      } else if (!entry.success) {
        problems.push(`${where(`spec.metadata.${position}`)}: must be {name, value} with a string value`);
      } else if (Object.hasOwn(metadata, entry.data.name)) {
        problems.push(`${where(`spec.metadata.${position}`)}: "${entry.data.name}" is set twice`);
      } else {
        metadata[entry.data.name] = entry.data.value;
      }
    });
    if (!isComponentType(doc.spec.type)) {
      problems.push(`${where('spec.type')}: unknown component type "${doc.spec.type}"; the sidecar implements ${Object.keys(componentKinds).join(', ')}`);
      return;
    }
    const metadataProblems = checkMetadata(doc.spec.type, metadata);
    problems.push(...metadataProblems.map((problem) => `${where(`spec.metadata.${problem.name}`)}: ${problem.message}`));
    if (metadataProblems.length > 0) return;
    definitions.push({ name: doc.metadata.name, type: doc.spec.type, version: doc.spec.version, metadata, scopes: doc.scopes ?? null, source });
  });
  return { definitions, problems };
}

/** Problems of a component's metadata against its type: unknown names, bad values. */
export function checkMetadata(type: ComponentType, metadata: Record<string, string>): { name: string; message: string }[] {
  const schema = z.strictObject({ ...componentKinds[type].metadata, ...governanceMetadata });
  const parsed = schema.safeParse(metadata);
  if (parsed.success) return [];
  return parsed.error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const known = Object.keys(schema.shape).join(', ');
      return issue.keys.map((key) => ({ name: key, message: `unknown metadata for ${type}; it takes ${known}` }));
    }
    return [{ name: issue.path.join('.'), message: issue.message }];
  });
}

function duplicateProblems(definitions: readonly ComponentDefinition[]): Problem[] {
  const seen = new Map<string, string>();
  const problems: Problem[] = [];
  for (const definition of definitions) {
    const first = seen.get(definition.name);
    if (first !== undefined) problems.push(`${definition.source}: component "${definition.name}" is already defined in ${first}`);
    else seen.set(definition.name, definition.source);
  }
  return problems;
}

/**
 * The components the sidecar runs when no folder is configured (SPEC §6), named as Dapr's quick
 * starts name them. State, configuration and locks use database 1 of the platform's Redis, so
 * their keys can never clobber the platform's own (database 0); pub/sub publishes into the
 * platform's topic queues, and `secretstore` serves the functions' own secrets.
 */
export function defaultComponents(): ComponentDefinition[] {
  const source = defaultsSource;
  const defaults: Omit<ComponentDefinition, 'source' | 'version' | 'scopes'>[] = [
    { name: defaultComponentNames.state, type: 'state.redis', metadata: { redisDB: '1' } },
    { name: defaultComponentNames.pubsub, type: 'pubsub.redis', metadata: {} },
    { name: defaultComponentNames.configuration, type: 'configuration.redis', metadata: { redisDB: '1' } },
    { name: defaultComponentNames.lock, type: 'lock.redis', metadata: { redisDB: '1' } },
    { name: defaultComponentNames.secrets, type: 'secretstores.isola', metadata: {} },
  ];
  return defaults.map((definition) => ({ ...definition, version: 'v1', scopes: null, source }));
}

/** Components as Dapr component YAML documents (for `isola sidecar --help`, docs, or a starting folder). */
export function componentsYaml(definitions: readonly ComponentDefinition[]): string {
  return definitions
    .map((definition) =>
      stringify({
        apiVersion: 'dapr.io/v1alpha1',
        kind: 'Component',
        metadata: { name: definition.name },
        spec: { type: definition.type, version: definition.version, metadata: Object.entries(definition.metadata).map(([name, value]) => ({ name, value })) },
        ...(definition.scopes === null ? {} : { scopes: definition.scopes }),
      }),
    )
    .join('---\n');
}

/**
 * The components of a sidecar without Redis (isola dev, the testing helper): the default names,
 * each in memory, and `secretstore` serving each function its own secrets from the host.
 * `extra` adds in-memory components of other names (stores that functions bind), by building block.
 */
export function inMemoryComponents(extra: Partial<Record<'state' | 'configuration' | 'lock', readonly string[]>> = {}): ComponentDefinition[] {
  const types = { state: 'state.in-memory', configuration: 'configuration.in-memory', lock: 'lock.in-memory' } as const;
  const definitions: Omit<ComponentDefinition, 'source' | 'version' | 'scopes'>[] = [
    { name: defaultComponentNames.pubsub, type: 'pubsub.in-memory', metadata: {} },
    { name: defaultComponentNames.secrets, type: 'secretstores.isola', metadata: {} },
  ];
  for (const block of ['state', 'configuration', 'lock'] as const) {
    for (const name of new Set([defaultComponentNames[block], ...(extra[block] ?? [])])) definitions.push({ name, type: types[block], metadata: {} });
  }
  return definitions.map((definition) => ({ ...definition, version: 'v1', scopes: null, source: defaultsSource }));
}
