import net from 'node:net';

/** One HTTP/1.1 answer read from raw bytes. */
export interface RawAnswer {
  status: number;
  /** Status line and headers, without the blank line. */
  head: string;
  /** The body, decoded from Content-Length or chunked framing (latin1, one char per byte). */
  body: string;
}

/**
 * Writes `data` as it is on a new connection to the host and port of `url`, for requests no
 * HTTP client would send (bad framing, junk Host, absolute-form targets). Resolves with every byte
 * that came back once a whole answer arrived, the connection closed, or `timeoutMs` passed.
 */
export function rawHttp(url: string, data: string | Buffer, timeoutMs = 2_000): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (firstAnswer(Buffer.concat(chunks).toString('latin1')) !== null) done();
    });
    socket.on('error', done);
    socket.on('close', done);
    socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  });
}

/** The first answer in raw response bytes, or null while it is incomplete. */
export function firstAnswer(raw: string): RawAnswer | null {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const head = raw.slice(0, end);
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
  const length = /\r\ncontent-length: *(\d+)/i.exec(head)?.[1];
  const rest = raw.slice(end + 4);
  if (length !== undefined) return rest.length >= Number(length) ? { status, head, body: rest.slice(0, Number(length)) } : null;
  if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
    const chunks: string[] = [];
    let at = 0;
    for (;;) {
      const line = rest.indexOf('\r\n', at);
      if (line < 0) return null;
      const size = Number.parseInt(rest.slice(at, line), 16);
      // The last chunk, or framing this reader does not follow: what came so far.
      if (size === 0 || Number.isNaN(size)) return { status, head, body: chunks.join('') };
      if (rest.length < line + 2 + size) return null;
      chunks.push(rest.slice(line + 2, line + 2 + size));
      at = line + 4 + size;
    }
  }
  return { status, head, body: '' };
}
