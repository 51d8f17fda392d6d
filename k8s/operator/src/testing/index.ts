// Test support for the operator and the manifests: an in-process fake Kubernetes API server
// that the real client-node and kubectl work against (see fake-apiserver/fake-apiserver.ts for
// what it imitates and what it does not).
export { FakeApiServer, type ClientOptions } from './fake-apiserver/fake-apiserver.js';
export type { Fault, FakeApiServerOptions, K8sObject, ObjectMeta, RecordedRequest } from './fake-apiserver/types.js';
