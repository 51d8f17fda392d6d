// @isola/operator: reconciles Function resources (isola.dev/v1alpha1) into deploys through the
// control-plane API and scales the worker pool (docs/kubernetes.md).
export {};
