// The sandbox on its own, for hosts other than the worker process: the benchmark's
// workers-serve-HTTP variant, and local runs of a function.
export { RuntimeScript } from './runtime-script.js';
export { prepareIsolate, type PreparedIsolate, type PrepareOptions } from './prepared-isolate.js';
export { FunctionInstance, ModuleCodeCache, type DispatchOutcome, type LoadOptions } from './function-instance.js';
export { SidecarClient, sidecarUrlFrom } from './bridges/sidecar-client.js';
