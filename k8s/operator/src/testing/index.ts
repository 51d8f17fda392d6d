// Test support for the operator and the manifests: an in-process fake Kubernetes API server.
export {};
