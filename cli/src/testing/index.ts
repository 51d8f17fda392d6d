export { spawnPlatform, spawnRole, type SpawnedPlatform, type SpawnedRole, type SpawnOptions } from './spawn-platform.js';
