import { readFileSync } from 'node:fs';
import type ivm from 'isolated-vm';

const bundleUrl = new URL('../runtime/runtime.bundle.js', import.meta.url);

/** What isolated-vm sets on a compiled Script or Module when code cache is involved (not in its types). */
export type CompiledWithCache = { cachedData?: ivm.ExternalCopy<ArrayBuffer>; cachedDataRejected?: boolean };

/**
 * The in-isolate runtime (Web APIs, dispatch) as compiled once per process: the source, and
 * V8 code cache produced on first compile so every later isolate skips parsing it.
 */
export class RuntimeScript {
  readonly source: string;
  private cachedData: ivm.ExternalCopy<ArrayBuffer> | undefined;

  constructor(source = readFileSync(bundleUrl, 'utf8')) {
    this.source = source;
  }

  async compile(isolate: ivm.Isolate): Promise<ivm.Script> {
    const filename = 'isola:///runtime.js';
    if (this.cachedData !== undefined) {
      const script = (await isolate.compileScript(this.source, { filename, cachedData: this.cachedData })) as ivm.Script & CompiledWithCache;
      if (script.cachedDataRejected !== true) return script;
    }
    const script = (await isolate.compileScript(this.source, { filename, produceCachedData: true })) as ivm.Script & CompiledWithCache;
    this.cachedData = script.cachedData;
    return script;
  }
}
