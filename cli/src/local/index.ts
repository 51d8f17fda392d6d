// `@isola/cli/local`: the testing helper for function authors (docs/local-development.md).
export {
  loadFunction,
  type ConfigView,
  type FolderLocation,
  type LoadedFunction,
  type LoadFunctionOptions,
  type LogEntry,
  type PublishedMessage,
  type QueueMessageInput,
  type QueueResult,
  type ScheduledResult,
  type StateView,
} from './testing-helper.js';
export { IsolaError } from '@isola/core';
