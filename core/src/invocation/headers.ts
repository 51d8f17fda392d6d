/** Headers every trigger response carries (SPEC §3). */
export const platformHeaders = {
  invocationId: 'x-isola-invocation-id',
  version: 'x-isola-version',
  coldStart: 'x-isola-cold-start',
  /** Request: `async` makes an invocation async (as does `?async=true`). */
  invoke: 'x-isola-invoke',
  /** Request: where to POST the record once an async invocation reached its final state. */
  callbackUrl: 'x-isola-callback-url',
} as const;
