import { lockStoreConformance } from './lock-store-conformance.js';
import { MemoryLockStore } from './memory.js';

lockStoreConformance('lock.in-memory', async () => {
  const store = new MemoryLockStore();
  return { store, close: () => store.close() };
});
