import { z } from 'zod';

/** `POST /api/v1/functions` body: the manifest (validated on its own) and the sources by path. */
export const deployRequestSchema = z.strictObject({
  manifest: z.record(z.string(), z.unknown()),
  files: z
    .record(z.string().min(1).max(512), z.string())
    .refine((files) => Object.keys(files).length > 0, 'must hold at least the main file')
    .refine((files) => Object.keys(files).length <= 1000, 'must hold at most 1000 files'),
});

export type DeployRequest = z.infer<typeof deployRequestSchema>;

/** `201` answer to a deploy. */
export interface DeployResponse {
  name: string;
  version: number;
  codeHash: string;
}

