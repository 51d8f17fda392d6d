export { startPlatform, type RunningPlatform } from './platform/platform.js';
export { IsolaClient, ApiError, PlatformUnreachableError, type LogTailEvent, type SendOptions } from '@isola/core';
export type { FunctionSummary, FunctionStats, FunctionHealth, VersionInfo, RollbackResult, LogQuery, LogPage } from '@isola/core';
export { readFunctionFolder, type FunctionFolder } from './client/function-folder.js';
export { bundleFolder, bundlePath, type BundledFolder, type BundleOptions } from './bundle/bundle-folder.js';
