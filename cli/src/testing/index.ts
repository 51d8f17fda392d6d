export { spawnPlatform, type SpawnedPlatform, type SpawnOptions } from './spawn-platform.js';
