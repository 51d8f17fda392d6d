import { IsolaSecretStore } from './isola.js';
import { secretStoreConformance, type SecretReader } from './secret-store-conformance.js';

// secretstores.isola as a sidecar without Redis runs it (isola dev, the testing helper): each
// function's secrets come from its host (.dev.vars), and the store's rules are the platform's.
secretStoreConformance("secretstores.isola over the host's secrets", async (secrets) => {
  const byFunction = new Map<string, Readonly<Record<string, string>>>([
    ['billing', secrets],
    ['other', { OTHER_KEY: 'sk_other' }],
  ]);
  const store = new IsolaSecretStore('secretstore', { values: async (name) => ({ ...(byFunction.get(name) ?? {}) }) });
  const readers: SecretReader[] = [
    { label: 'function billing', request: { caller: { kind: 'function', name: 'billing' }, metadata: {} }, key: (name) => name },
    { label: 'admin naming billing', request: { caller: { kind: 'admin' }, metadata: { function: 'billing' } }, key: (name) => `billing:${name}` },
  ];
  const outsiders: SecretReader[] = [
    { label: 'function other', request: { caller: { kind: 'function', name: 'other' }, metadata: {} }, key: (name) => name },
    { label: 'function other naming billing', request: { caller: { kind: 'function', name: 'other' }, metadata: {} }, key: (name) => `billing:${name}` },
  ];
  return { store, readers, outsiders, close: () => store.close() };
});
