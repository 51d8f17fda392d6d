export { Supervisor, type SupervisorOptions } from './supervisor/supervisor.js';
export type { FunctionProvider } from './supervisor/function-provider.js';
export { sidecarUrlFrom } from './sandbox/bridges/sidecar-client.js';
