// A function folder turned into what the platform runs, the way `isola deploy` and the platform
// do it together: the folder bundled with its npm dependencies (bundleFolder, as deploy uploads
// it), then bundled once more from the uploaded files, as the platform does on deploy. The code
// and its hash are those a deployed version of the folder would have.
import { bundleFunction, parseManifest, type Manifest } from '@isola/core';
import { bundleFolder, bundlePath } from '../bundle/bundle-folder.js';

export interface FunctionBuild {
  /** The manifest as deployed (its `main` is the bundle's path). */
  manifest: Manifest;
  /** The bundle: one ES module. */
  code: string;
  codeHash: string;
  warnings: string[];
}

/** Reads, validates and bundles a function folder; throws INVALID_MANIFEST or BUNDLE_FAILED listing every problem. */
export async function buildFunctionFolder(folder: string): Promise<FunctionBuild> {
  const bundled = await bundleFolder(folder);
  const manifest = parseManifest(bundled.manifest);
  const output = await bundleFunction({ files: bundled.files, main: bundlePath });
  return { manifest, code: output.code, codeHash: output.codeHash, warnings: [...bundled.warnings, ...output.warnings] };
}
