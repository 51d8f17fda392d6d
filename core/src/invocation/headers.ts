/** Headers every trigger response carries (SPEC §3). */
export const platformHeaders = {
  invocationId: 'x-isola-invocation-id',
  version: 'x-isola-version',
  coldStart: 'x-isola-cold-start',
} as const;
