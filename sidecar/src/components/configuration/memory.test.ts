import { configurationStoreConformance } from './configuration-store-conformance.js';
import { MemoryConfigurationData, MemoryConfigurationStore } from './memory.js';

configurationStoreConformance('configuration.in-memory', async () => {
  const data = new MemoryConfigurationData();
  const store = new MemoryConfigurationStore(data);
  return {
    store,
    set: async (key, value, version) => data.set(key, value, version),
    remove: async (key) => data.remove(key),
    close: () => store.close(),
  };
});
