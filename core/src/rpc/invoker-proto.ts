import { fileURLToPath } from 'node:url';

/**
 * Where `isola/v1/invoker.proto` (the gRPC trigger's service, SPEC §5) lies: shipped in the core
 * package's `proto/` folder, beside `dist/` and `src/`, so this resolves from either.
 */
export const invokerProto = {
  /** The folder to load imports from (proto-loader's `includeDirs`). */
  includeDir: fileURLToPath(new URL('../../proto', import.meta.url)),
  /** The file, relative to includeDir. */
  file: 'isola/v1/invoker.proto',
  /** The service's full name. */
  service: 'isola.v1.Invoker',
} as const;
