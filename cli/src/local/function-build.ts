// A function folder turned into what the platform runs: its manifest, validated with every
// problem listed, and its sources bundled into one ES module, as `isola deploy` does.
import { join } from 'node:path';
import { bundleFunction, IsolaError, parseManifest, type BundleOutput, type BundleProblem, type Manifest, type ManifestProblem } from '@isola/core';
import { readFunctionFolder } from '../client/function-folder.js';

export interface FunctionBuild {
  manifest: Manifest;
  /** The bundle: one ES module. */
  code: string;
  codeHash: string;
  warnings: string[];
}

/** Bundles a folder's sources for its manifest (default: core's in-memory bundler over readFunctionFolder's files). */
export type FolderBundler = (folder: string, manifest: Manifest, files: Record<string, string>) => Promise<BundleOutput>;

const bundleFiles: FolderBundler = (_folder, manifest, files) => bundleFunction({ files, main: manifest.main });

/** Reads, validates and bundles a function folder; throws INVALID_MANIFEST or BUNDLE_FAILED listing every problem. */
export async function buildFunctionFolder(folder: string, bundler: FolderBundler = bundleFiles): Promise<FunctionBuild> {
  let read: ReturnType<typeof readFunctionFolder>;
  try {
    read = readFunctionFolder(folder);
  } catch (error) {
    if (error instanceof IsolaError) throw error;
    // A YAML syntax error: the parser's message locates it.
    throw new IsolaError('INVALID_MANIFEST', `${join(folder, 'isola.yaml')} is not valid YAML: ${(error as Error).message}`);
  }
  const manifest = parseManifest(read.manifest);
  const bundle = await bundler(folder, manifest, read.files);
  return { manifest, code: bundle.code, codeHash: bundle.codeHash, warnings: bundle.warnings };
}

/** A build failure for the terminal: the summary, then one problem per line. */
export function describeBuildError(error: unknown): string {
  if (!(error instanceof IsolaError)) return error instanceof Error ? (error.stack ?? error.message) : String(error);
  const problems = (error.details as { problems?: unknown } | undefined)?.problems;
  if (!Array.isArray(problems) || problems.length === 0) return error.message;
  if (error.code === 'INVALID_MANIFEST') {
    return `isola.yaml is invalid:\n${(problems as ManifestProblem[]).map((problem) => `  ${problem.path || '(root)'}: ${problem.message}`).join('\n')}`;
  }
  if (error.code === 'BUNDLE_FAILED') {
    return `bundling failed:\n${(problems as BundleProblem[]).map((problem) => `  ${problem.location === null ? '' : `${problem.location}: `}${problem.message}`).join('\n')}`;
  }
  return error.message;
}
