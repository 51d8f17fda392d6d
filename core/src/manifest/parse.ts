import { IsolaError } from '../errors/isola-error.js';
import { manifestSchema, type Manifest } from './schema.js';
import { z } from 'zod';

/** One problem with a manifest, located by a dotted path such as `limits.memoryMb` or `routes.0.path`. */
export interface ManifestProblem {
  path: string;
  message: string;
}

export type ManifestResult = { ok: true; manifest: Manifest } | { ok: false; problems: ManifestProblem[] };

/** Validates a manifest and reports every problem, not only the first. */
export function validateManifest(input: unknown): ManifestResult {
  const result = manifestSchema.safeParse(input);
  if (result.success) return { ok: true, manifest: result.data };
  return { ok: false, problems: result.error.issues.flatMap(toProblems) };
}

/** Like validateManifest, but throws INVALID_MANIFEST (400) listing every problem. */
export function parseManifest(input: unknown): Manifest {
  const result = validateManifest(input);
  if (result.ok) return result.manifest;
  const summary = result.problems.map((problem) => `${problem.path || '(root)'}: ${problem.message}`).join('; ');
  throw new IsolaError('INVALID_MANIFEST', `invalid manifest: ${summary}`, { problems: result.problems });
}

function toProblems(issue: z.core.$ZodIssue): ManifestProblem[] {
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: [...path, key].join('.'), message: 'unknown field' }));
  }
  return [{ path: path.join('.'), message: issue.message }];
}

/** The manifest's JSON Schema, for editors (published at /api/v1/schemas/manifest.json). */
export function manifestJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(manifestSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
