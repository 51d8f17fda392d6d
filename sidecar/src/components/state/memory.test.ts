import { MemoryStateStore } from './memory.js';
import { stateStoreConformance } from './state-store-conformance.js';

stateStoreConformance('state.in-memory', async () => {
  const store = new MemoryStateStore();
  return { store, close: () => store.close() };
});
