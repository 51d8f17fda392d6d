// @isola/operator: reconciles Function resources (isola.dev/v1alpha1) into deploys through the
// control-plane API and scales the worker pool (docs/kubernetes.md).
export { Operator } from './operator.js';
export { readOperatorConfig, OperatorConfigError, type OperatorConfig } from './config.js';
export { recommend, Stabilizer, WorkerScaler, type ScaleSettings, type Recommendation } from './scaler.js';
export { checkSpec, aliasTargetOf, type DesiredFunction } from './spec-to-manifest.js';
export { WorkQueue } from './work-queue.js';
export { LeaderElector } from './leader-election.js';
export * from './function-resource.js';
