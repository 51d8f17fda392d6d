// Discovery documents: /version, /api, /apis, /apis/<group>, /api/v1 and /apis/<group>/<version>,
// in the legacy (unaggregated) form. Clients that ask for aggregated discovery
// (apidiscovery.k8s.io/v2) get these too and fall back, as they do with servers older than 1.26.
import { apiVersionOf, subresourceVerbs, verbs, type ResourceRegistry } from './resources.js';

export const serverVersion = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-isola-fake',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2024-04-17T00:00:00Z',
  goVersion: 'go1.22.2',
  compiler: 'gc',
  platform: 'linux/amd64',
};

export function apiVersions(serverAddress: string) {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function groupDocument(name: string, versions: string[]) {
  const entries = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
  return { name, versions: entries, preferredVersion: entries[0] };
}

export function apiGroupList(registry: ResourceRegistry) {
  const groups = [...registry.groups()].filter(([name]) => name !== '').map(([name, versions]) => groupDocument(name, versions));
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

export function apiGroup(registry: ResourceRegistry, name: string) {
  const versions = registry.groups().get(name);
  return versions && name !== '' ? { kind: 'APIGroup', apiVersion: 'v1', ...groupDocument(name, versions) } : undefined;
}

export function apiResourceList(registry: ResourceRegistry, group: string, version: string) {
  const types = registry.all().filter((t) => t.group === group && t.version === version);
  if (types.length === 0) return undefined;
  const resources = types.flatMap((t) => {
    const main: Record<string, unknown> = { name: t.plural, singularName: t.singular, namespaced: t.namespaced, kind: t.kind, verbs };
    if (t.shortNames.length > 0) main['shortNames'] = t.shortNames;
    if (t.categories.length > 0) main['categories'] = t.categories;
    const subresources: Record<string, unknown>[] = [];
    if (t.statusSubresource) subresources.push({ name: `${t.plural}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: subresourceVerbs });
    if (t.scale) {
      subresources.push({ name: `${t.plural}/scale`, singularName: '', namespaced: t.namespaced, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: subresourceVerbs });
    }
    return [main, ...subresources];
  });
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf({ group, version }), resources };
}
