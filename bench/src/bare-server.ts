// The baseline: the same handler as functions-examples/hello on a bare node:http server, in a
// process of its own. Prints its port on stdout once listening.
import { createServer } from 'node:http';

const greeting = 'Hello';
const server = createServer((request, response) => {
  const url = new URL(request.url ?? '/', `http://${request.headers.host ?? 'localhost'}`);
  const name = url.searchParams.get('name') ?? 'world';
  const body = JSON.stringify({ message: `${greeting}, ${name}!`, method: request.method, path: url.pathname });
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(body);
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (typeof address === 'object' && address !== null) console.log(String(address.port));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
