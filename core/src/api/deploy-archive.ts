import { createGunzip } from 'node:zlib';
import { extract as tarExtract, type Extract, type Header } from 'tar-stream';
import { LineCounter, parseDocument } from 'yaml';
import { IsolaError } from '../errors/isola-error.js';

/** Bounds on what one tar.gz deploy body may unpack to. */
export interface DeployArchiveLimits {
  /** Source files the archive may hold, `isola.yaml` not counted; 1000 (as for a JSON body) when left out. */
  maxFiles?: number;
  /** Bytes the gzip may inflate to, tar headers included; inflation stops as soon as this is passed. */
  maxUnpackedBytes: number;
}

/** A deploy archive read into the same two parts as the JSON deploy body. */
export interface DeployArchive {
  /** `isola.yaml` parsed, not yet validated: the caller runs the same validation as for JSON. */
  manifest: unknown;
  /** The sources by path relative to the manifest, `isola.yaml` itself left out. */
  files: Record<string, string>;
}

const defaultMaxFiles = 1000;
const manifestNames = ['isola.yaml', 'isola.yml'];
/** Media types of a tar.gz deploy body. */
export const deployArchiveContentTypes: readonly string[] = [
  'application/gzip',
  'application/x-gzip',
  'application/x-tar+gzip',
  'application/tar+gzip',
  'application/x-compressed-tar',
  'application/octet-stream',
];
const archiveContentTypes = new Set(deployArchiveContentTypes);
const listedPathsInErrors = 20;

/** True when a deploy request's Content-Type (parameters ignored) announces a tar.gz body. */
export function isDeployArchiveContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const mediaType = contentType.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  return archiveContentTypes.has(mediaType);
}

/**
 * Reads a tar.gz deploy body (SPEC §4): `isola.yaml` at its root, or inside one top-level
 * folder holding everything, beside the sources. Only regular files and directories are taken;
 * macOS metadata and `node_modules/` are skipped. Throws PAYLOAD_TOO_LARGE as soon as the
 * inflated bytes or the file count pass the limits, and BAD_REQUEST naming the entry for
 * anything else it refuses.
 */
export async function readDeployArchive(body: Buffer, limits: DeployArchiveLimits): Promise<DeployArchive> {
  if (body.length < 2 || body[0] !== 0x1f || body[1] !== 0x8b) {
    throw notAnArchive('it does not start with the gzip signature');
  }
  const maxFiles = limits.maxFiles ?? defaultMaxFiles;
  const entries = await readTar(inflate(body, limits.maxUnpackedBytes), { ...limits, maxFiles });
  const files = stripSharedTopFolder(entries);
  const manifest = takeManifest(files);
  if (files.size > maxFiles) throw tooManyFiles(maxFiles);
  return { manifest, files: Object.fromEntries(files) };
}

/**
 * Reads a tar.gz of a function's sources whose manifest comes from elsewhere (the Kubernetes
 * operator's `source.url`): the same limits and refusals as {@link readDeployArchive}, an
 * `isola.yaml` in it is left out, and one top-level folder holding everything is stripped.
 */
export async function readSourceArchive(body: Buffer, limits: DeployArchiveLimits): Promise<Record<string, string>> {
  if (body.length < 2 || body[0] !== 0x1f || body[1] !== 0x8b) {
    throw notAnArchive('it does not start with the gzip signature');
  }
  const maxFiles = limits.maxFiles ?? defaultMaxFiles;
  const files = await readTar(inflate(body, limits.maxUnpackedBytes), { ...limits, maxFiles });
  const paths = [...files.keys()];
  const top = paths[0]?.split('/', 1)[0];
  const shared = top !== undefined && paths.every((path) => path.startsWith(`${top}/`));
  const sources = new Map(shared ? [...files].map(([path, content]) => [path.slice(top.length + 1), content]) : files);
  for (const name of manifestNames) sources.delete(name);
  if (sources.size > maxFiles) throw tooManyFiles(maxFiles);
  return Object.fromEntries(sources);
}

/** Inflates lazily: zlib works only as far as the reader pulls, so a bomb stops at the limit. */
async function* inflate(body: Buffer, maxBytes: number): AsyncGenerator<Buffer> {
  const gunzip = createGunzip();
  gunzip.end(body);
  let inflatedBytes = 0;
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      inflatedBytes += chunk.length;
      if (inflatedBytes > maxBytes) {
        throw new IsolaError(
          'PAYLOAD_TOO_LARGE',
          `the archive unpacks to more than ${maxBytes} bytes, the limit for a deploy`,
          { limitBytes: maxBytes, inflatedBytes },
        );
      }
      yield chunk;
    }
  } catch (error) {
    if (error instanceof IsolaError) throw error;
    throw notAnArchive('it is not valid gzip', error);
  } finally {
    gunzip.destroy();
  }
}

/** Reads every kept regular file of the tar into memory, by normalised path. */
async function readTar(chunks: AsyncIterable<Buffer>, limits: Required<DeployArchiveLimits>): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const extract = tarExtract();
  const feeding = feed(chunks, extract);
  try {
    for await (const entry of extract) {
      const path = normalisePath(entry.header.name);
      const kept = path !== '' && !isSkipped(path);
      if (kept) checkEntryType(entry.header);
      const keep = kept && entry.header.type !== 'directory';
      const content = await readEntry(entry.header, entry, { maxBytes: limits.maxUnpackedBytes, keep });
      if (keep) files.set(path, decodeUtf8(path, content));
      // One of the files may turn out to be the manifest, so it is not counted until the end.
      if (files.size > limits.maxFiles + 1) throw tooManyFiles(limits.maxFiles);
    }
  } catch (error) {
    if (error instanceof IsolaError) throw error;
    throw notAnArchive('the gzip content is not a tar archive', error);
  } finally {
    extract.destroy();
    await feeding;
  }
  return files;
}

/** Writes the inflated chunks into the tar reader; an inflate error ends the reader with it. */
async function feed(chunks: AsyncIterable<Buffer>, extract: Extract): Promise<void> {
  try {
    for await (const chunk of chunks) {
      if (extract.destroying) return;
      if (!extract.write(chunk)) await drainedOrClosed(extract);
    }
    // streamx types `end` with a required argument; at run time null means "no last chunk".
    if (!extract.destroying) extract.end(null);
  } catch (error) {
    extract.destroy(error as Error);
  }
}

function drainedOrClosed(extract: Extract): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      extract.off('drain', done);
      extract.off('close', done);
      resolve();
    };
    extract.on('drain', done);
    extract.on('close', done);
  });
}

/**
 * Reads one entry, or only drains it when it is not kept: the tar reader moves on to the next
 * entry only once this one is read, and destroying an entry destroys the whole reader.
 */
async function readEntry(
  header: Header,
  entry: AsyncIterable<unknown>,
  { maxBytes, keep }: { maxBytes: number; keep: boolean },
): Promise<Buffer> {
  // A directory holds no data whatever its header's size says: tar-stream reads none for it, and
  // never ends its stream when that size is not 0, so reading it would wait forever.
  if (header.type === 'directory') return Buffer.alloc(0);
  if (header.size > maxBytes) {
    throw new IsolaError(
      'PAYLOAD_TOO_LARGE',
      `archive entry ${JSON.stringify(header.name)} is ${header.size} bytes, over the ${maxBytes} bytes a deploy may unpack to`,
      { entry: header.name, limitBytes: maxBytes },
    );
  }
  const parts: Buffer[] = [];
  for await (const part of entry) if (keep) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/** `./src//a.ts` → `src/a.ts`; refuses paths that could land outside the function's folder. */
function normalisePath(name: string): string {
  if (name.startsWith('/') || name.startsWith('\\') || /^[A-Za-z]:/.test(name)) {
    throw badEntry(name, 'has an absolute path; paths must be relative to the folder holding isola.yaml');
  }
  const segments = name.split(/[\\/]/);
  if (segments.includes('..')) {
    throw badEntry(name, 'has a ".." segment; paths must stay inside the folder holding isola.yaml');
  }
  return segments.filter((segment) => segment !== '' && segment !== '.').join('/');
}

/** Metadata macOS adds to archives, and dependencies, which are bundled from the registry. */
function isSkipped(path: string): boolean {
  return path
    .split('/')
    .some((segment) => segment.startsWith('._') || segment === '.DS_Store' || segment === '__MACOSX' || segment === 'node_modules');
}

function checkEntryType(header: Header): void {
  if (header.type === 'file' || header.type === 'contiguous-file' || header.type === 'directory') return;
  // tar-stream reports a type flag it does not know (GNU sparse, vendor extensions) as null.
  const type: string | null = header.type;
  const what = type === 'link' ? 'a hard link' : type === null ? 'of an unknown type' : `a ${type}`;
  const target = header.linkname ? ` (to ${JSON.stringify(header.linkname)})` : '';
  throw badEntry(header.name, `is ${what}${target}; a deploy archive may hold only regular files and directories`);
}

function decodeUtf8(path: string, content: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(content);
  } catch {
    throw badEntry(path, 'is not UTF-8 text; a deploy archive holds sources only (leave out binaries and build output)');
  }
}

/** `tar czf fn.tgz myfn/` puts everything under `myfn/`; the manifest's folder is the root. */
function stripSharedTopFolder(files: Map<string, string>): Map<string, string> {
  if (manifestNames.some((name) => files.has(name))) return files;
  const paths = [...files.keys()];
  const top = paths[0]?.split('/', 1)[0];
  if (top === undefined || !paths.every((path) => path.startsWith(`${top}/`))) return files;
  if (!manifestNames.some((name) => files.has(`${top}/${name}`))) return files;
  return new Map([...files].map(([path, content]) => [path.slice(top.length + 1), content]));
}

/** Removes the manifest from the files and parses it. */
function takeManifest(files: Map<string, string>): unknown {
  const present = manifestNames.filter((name) => files.has(name));
  if (present.length > 1) {
    throw new IsolaError('BAD_REQUEST', 'the archive holds both isola.yaml and isola.yml; keep one');
  }
  const name = present[0];
  if (name === undefined) {
    const paths = [...files.keys()];
    const listed = paths.slice(0, listedPathsInErrors).join(', ');
    const more = paths.length > listedPathsInErrors ? ` and ${paths.length - listedPathsInErrors} more` : '';
    const held = paths.length === 0 ? 'it holds no files' : `it holds ${listed}${more}`;
    throw new IsolaError(
      'BAD_REQUEST',
      `the archive has no isola.yaml at its root (nor inside one top-level folder holding everything); ${held}`,
      { entries: paths.slice(0, listedPathsInErrors), entryCount: paths.length },
    );
  }
  const text = files.get(name) ?? '';
  files.delete(name);
  return parseManifestYaml(name, text);
}

function parseManifestYaml(name: string, text: string): unknown {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  if (document.errors.length === 0) return document.toJS();
  const problems = document.errors.map((error) => {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    return { path: `${name}:${line}:${col}`, message: error.message };
  });
  const summary = problems.map((problem) => `${problem.path}: ${problem.message}`).join('; ');
  throw new IsolaError('BAD_REQUEST', `${name} is not valid YAML: ${summary}`, { problems });
}

/** The zlib or tar-stream message goes to details only: "needs to be gunzipped" and such mislead here. */
function notAnArchive(reason: string, cause?: unknown): IsolaError {
  return new IsolaError(
    'BAD_REQUEST',
    `the deploy body must be a gzip-compressed tar (Content-Type: application/gzip) or JSON (Content-Type: application/json), but ${reason}`,
    cause instanceof Error ? { cause: cause.message } : undefined,
  );
}

function tooManyFiles(maxFiles: number): IsolaError {
  return new IsolaError('PAYLOAD_TOO_LARGE', `the archive holds more than ${maxFiles} files, the limit for a deploy`, {
    limitFiles: maxFiles,
  });
}

function badEntry(name: string, problem: string): IsolaError {
  return new IsolaError('BAD_REQUEST', `archive entry ${JSON.stringify(name)} ${problem}`, { entry: name });
}
