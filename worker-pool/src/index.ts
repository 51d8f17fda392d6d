export { Supervisor, type SupervisorOptions } from './supervisor/supervisor.js';
export { sidecarUrlFrom } from './sandbox/bridges/sidecar-client.js';
