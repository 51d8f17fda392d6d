import type { FunctionEvent } from '@isola/core';
import type { InstanceRegistry } from './instance-registry.js';
import type { VersionSource } from './version-source.js';

/**
 * What a worker does with a function event: keeps small deploys for cold starts, and takes a
 * function's instances out of use when their env is stale — instances hold the secrets read at
 * load time, so a changed secret (or a deleted function) needs a new load.
 */
export function applyFunctionEvent(event: FunctionEvent, versions: VersionSource, registry: InstanceRegistry): void {
  versions.onEvent(event);
  if (event.type === 'secrets' || event.type === 'deleted') registry.evictFunction(event.name);
}
