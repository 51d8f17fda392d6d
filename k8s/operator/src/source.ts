import { createHash } from 'node:crypto';
import { readSourceArchive } from '@isola/core';
import type { FunctionResource } from './function-resource.js';

/** Why a source could not be read: the condition reason, and whether trying again may help. */
export type SourceFailure = 'SourceNotFound' | 'SourceUnavailable' | 'ChecksumMismatch' | 'InvalidSource';

export class SourceError extends Error {
  constructor(
    readonly reason: SourceFailure,
    message: string,
    /** False when only a change to the resource (or the ConfigMap) can fix it. */
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'SourceError';
  }
}

export interface ConfigMapData {
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}

export interface SourceReaders {
  /** The ConfigMap, or null when there is none by that name. */
  readConfigMap(namespace: string, name: string): Promise<ConfigMapData | null>;
  fetch: typeof fetch;
}

export interface SourceLimits {
  /** Largest download for `source.url`. */
  maxDownloadBytes: number;
  /** Most bytes an archive may unpack to (the gateway's deploy limit applies after). */
  maxUnpackedBytes: number;
  downloadTimeoutMs: number;
}

/** The source files and a digest of them (part of the spec hash). */
export interface ResolvedSource {
  files: Record<string, string>;
  digest: string;
}

/**
 * Reads a Function's source: inline files, a ConfigMap's keys, or a download checked against
 * its SHA-256. Downloads are kept by checksum, so a resync does not fetch again.
 */
export class SourceResolver {
  private readonly downloads = new Map<string, Record<string, string>>();

  constructor(
    private readonly readers: SourceReaders,
    private readonly limits: SourceLimits,
  ) {}

  async resolve(resource: FunctionResource): Promise<ResolvedSource> {
    const { source, main } = resource.spec;
    const files = source.inline !== undefined ? { ...source.inline.files }
      : source.configMap !== undefined ? await this.fromConfigMap(resource.metadata.namespace, source.configMap)
      : source.url !== undefined ? await this.fromUrl(source.url, main)
      : null;
    if (files === null) throw new SourceError('InvalidSource', 'spec.source must hold one of inline, configMap or url', false);
    if (!(main in files)) {
      const held = Object.keys(files).sort().slice(0, 20).join(', ') || 'no files';
      throw new SourceError('InvalidSource', `spec.main "${main}" is not in the source, which holds ${held}`, false);
    }
    return { files, digest: digestOf(files) };
  }

  private async fromConfigMap(namespace: string, ref: { name: string; items?: { key: string; path: string }[] }): Promise<Record<string, string>> {
    const found = await this.readers.readConfigMap(namespace, ref.name);
    if (found === null) throw new SourceError('SourceNotFound', `ConfigMap ${namespace}/${ref.name} (spec.source.configMap) does not exist`, true);
    const data = found.data ?? {};
    if (ref.items === undefined) return { ...data };
    const files: Record<string, string> = {};
    const missing: string[] = [];
    for (const item of ref.items) {
      const content = data[item.key];
      if (content === undefined) missing.push(item.key in (found.binaryData ?? {}) ? `${item.key} (binaryData: sources must be text)` : item.key);
      else files[item.path] = content;
    }
    if (missing.length > 0) throw new SourceError('InvalidSource', `ConfigMap ${namespace}/${ref.name} has no key ${missing.join(', ')} (spec.source.configMap.items)`, true);
    return files;
  }

  private async fromUrl(ref: { url: string; sha256: string }, main: string): Promise<Record<string, string>> {
    const kept = this.downloads.get(ref.sha256);
    if (kept !== undefined) return { ...kept };
    const body = await this.download(ref.url);
    const actual = createHash('sha256').update(body).digest('hex');
    if (actual !== ref.sha256.toLowerCase()) {
      throw new SourceError('ChecksumMismatch', `${ref.url} has SHA-256 ${actual}, not ${ref.sha256} (spec.source.url.sha256): nothing was deployed`, false);
    }
    let files: Record<string, string>;
    if (body[0] === 0x1f && body[1] === 0x8b) {
      try {
        files = await readSourceArchive(body, { maxUnpackedBytes: this.limits.maxUnpackedBytes });
      } catch (error) {
        throw new SourceError('InvalidSource', `${ref.url}: ${(error as Error).message}`, false);
      }
    } else {
      files = { [main]: body.toString('utf8') };
    }
    if (this.downloads.size >= 64) this.downloads.delete(this.downloads.keys().next().value as string);
    this.downloads.set(ref.sha256, files);
    return { ...files };
  }

  private async download(url: string): Promise<Buffer> {
    let response: Response;
    try {
      response = await this.readers.fetch(url, { signal: AbortSignal.timeout(this.limits.downloadTimeoutMs), redirect: 'follow' });
    } catch (error) {
      throw new SourceError('SourceUnavailable', `could not download ${url}: ${causeOf(error)}`, true);
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new SourceError(response.status === 404 ? 'SourceNotFound' : 'SourceUnavailable', `downloading ${url} answered ${response.status}`, true);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body ?? []) {
      size += (chunk as Uint8Array).length;
      if (size > this.limits.maxDownloadBytes) {
        await response.body?.cancel().catch(() => undefined);
        throw new SourceError('InvalidSource', `${url} is larger than ${this.limits.maxDownloadBytes} bytes, the limit for a source download`, false);
      }
      chunks.push(Buffer.from(chunk as Uint8Array));
    }
    return Buffer.concat(chunks);
  }
}

/** SHA-256 over the files in path order. */
export function digestOf(files: Record<string, string>): string {
  const hash = createHash('sha256');
  for (const path of Object.keys(files).sort()) hash.update(JSON.stringify([path, files[path]]));
  return hash.digest('hex');
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
