import { appKeyPrefix, type Logger } from '@isola/core';
import { Governor, defaultGovernance, type GovernanceSettings } from '../governance/governor.js';
import type { SidecarMetrics } from '../governance/sidecar-metrics.js';
import { dirname } from 'node:path';
import { defaultsSource, type ComponentDefinition } from './component-files.js';
import { componentKinds, type BuildingBlock, type BuildingBlocks, type ComponentContext, type ComponentDeps } from './registry.js';

/** A running component: its definition, its implementation, and the governance wrapping its calls. */
export interface LoadedComponent<B extends BuildingBlock = BuildingBlock> {
  definition: ComponentDefinition;
  block: B;
  impl: BuildingBlocks[B];
  governor: Governor;
  capabilities: readonly string[];
}

/** The sidecar's components by name, started from their definitions. */
export class Components {
  private constructor(private readonly byName: ReadonlyMap<string, LoadedComponent>) {}

  /** Starts every component; when some fail, stops the others and throws one error naming each failure. */
  static async start(definitions: readonly ComponentDefinition[], deps: ComponentDeps & { metrics: SidecarMetrics; logger: Logger }): Promise<Components> {
    const results = await Promise.allSettled(definitions.map((definition) => startOne(definition, deps)));
    const started = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failures = results.flatMap((result, index) => (result.status === 'rejected' ? [`${definitions[index]?.name} (${definitions[index]?.source}): ${(result.reason as Error).message}`] : []));
    if (failures.length > 0) {
      await Promise.all(started.map((component) => component.impl.close().catch(() => undefined)));
      throw new Error(`sidecar components failed to start:\n  ${failures.join('\n  ')}`);
    }
    return new Components(new Map(started.map((component) => [component.definition.name, component])));
  }

  /** The component of that name if it is of that building block. */
  find<B extends BuildingBlock>(block: B, name: string): LoadedComponent<B> | undefined {
    const component = this.byName.get(name);
    return component !== undefined && component.block === block ? (component as LoadedComponent<B>) : undefined;
  }

  list(): LoadedComponent[] {
    return [...this.byName.values()];
  }

  async close(): Promise<void> {
    await Promise.all(this.list().map((component) => component.impl.close()));
  }
}

async function startOne(definition: ComponentDefinition, deps: ComponentDeps & { metrics: SidecarMetrics }): Promise<LoadedComponent> {
  const kind = componentKinds[definition.type];
  // Metadata was checked against the kind's schema when the definition was read.
  const context: ComponentContext = { ...deps, baseDir: definition.source === defaultsSource ? process.cwd() : dirname(definition.source) };
  const impl = await (kind.create as (name: string, metadata: Record<string, string>, context: ComponentContext) => Promise<BuildingBlocks[BuildingBlock]>)(
    definition.name,
    definition.metadata,
    context,
  );
  const governor = new Governor(definition.name, governanceOf(definition.metadata), deps.metrics, deps.logger);
  return { definition, block: kind.block, impl, governor, capabilities: kind.capabilities };
}

function governanceOf(metadata: Record<string, string>): GovernanceSettings {
  const number = (name: keyof GovernanceSettings) => (metadata[name] === undefined ? defaultGovernance[name] : Number(metadata[name]));
  return {
    timeoutMs: number('timeoutMs'),
    maxRetries: number('maxRetries'),
    retryBaseMs: number('retryBaseMs'),
    breakerFailures: number('breakerFailures'),
    breakerCooldownMs: number('breakerCooldownMs'),
  };
}

/**
 * The prefix a function's keys get in a state or lock component (its `keyPrefix` metadata):
 * `appid` (default) `<function>||`, `none` nothing (shared), `name` `<component>||`, else `<text>||`.
 */
export function keyPrefixOf(component: LoadedComponent, functionName: string): string {
  const rule = component.definition.metadata.keyPrefix ?? 'appid';
  if (rule === 'appid') return appKeyPrefix(functionName);
  if (rule === 'none') return '';
  if (rule === 'name') return `${component.definition.name}||`;
  return `${rule}||`;
}
