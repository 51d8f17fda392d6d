export * from './test-redis.js';
export * from './pack-archive.js';
export * from './reaper.js';
