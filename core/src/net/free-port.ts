import { createServer } from 'node:net';

/**
 * A TCP port free on `host` now, for a child process that must be told its port before it starts
 * (the private redis-server; the sidecar `isola up` forks, whose URL the worker processes need
 * at once). Another process could take it in between: rare on one machine, and the child's start
 * then fails with its own clear error.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
