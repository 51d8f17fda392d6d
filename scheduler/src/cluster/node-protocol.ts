/** Carries the node credential (nodeAuthToken) from gateway to node server. */
export const nodeTokenHeader = 'x-isola-node-token';
/** On a 503 from a node server: `draining` (stopping) or `full` (at capacity); the invocation did not run. */
export const nodeStateHeader = 'x-isola-node-state';
