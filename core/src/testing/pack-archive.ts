import { createGzip } from 'node:zlib';
import { pack } from 'tar-stream';

/** A gzip-compressed tar of `files` (path → contents), as `tar czf` makes: for deploy tests. */
export async function packDeployArchive(files: Record<string, string>): Promise<Buffer> {
  const archive = pack();
  for (const [name, contents] of Object.entries(files)) archive.entry({ name }, contents);
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of archive.pipe(createGzip())) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
