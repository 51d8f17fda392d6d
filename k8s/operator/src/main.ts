#!/usr/bin/env node
// The operator's entry point in the image: `node k8s/operator/dist/main.js` (k8s/base/operator.yaml).
import { createLogger } from '@isola/core';
import { KubeConfig } from '@kubernetes/client-node';
import { OperatorConfigError, readOperatorConfig } from './config.js';
import { Operator } from './operator.js';

const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const wanted = process.env.ISOLA_LOG_LEVEL ?? 'info';
const level = levels.find((entry) => entry === wanted) ?? 'info';
const logger = createLogger({ level }).child({ component: 'operator' });

let config;
try {
  config = readOperatorConfig();
} catch (error) {
  if (error instanceof OperatorConfigError) {
    logger.fatal({ problems: error.problems }, error.message);
    process.exit(2);
  }
  throw error;
}

// In a pod: the service account's token and CA; elsewhere: KUBECONFIG or ~/.kube/config.
const kubeConfig = new KubeConfig();
kubeConfig.loadFromDefault();
const operator = new Operator(config, kubeConfig, logger);
await operator.start();
logger.info({ namespace: config.namespace, identity: config.identity, url: config.url, scale: config.scale }, 'the operator is running');

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: releasing the lease');
    const deadline = setTimeout(() => process.exit(1), 10_000);
    deadline.unref();
    operator.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'could not stop cleanly');
        process.exit(1);
      },
    );
  });
}
