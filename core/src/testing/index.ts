export * from './test-redis.js';
export * from './pack-archive.js';
