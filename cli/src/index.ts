export { startPlatform, type RunningPlatform } from './platform/platform.js';
export { IsolaClient } from './client/api-client.js';
export { readFunctionFolder, type FunctionFolder } from './client/function-folder.js';
