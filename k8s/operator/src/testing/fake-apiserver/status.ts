// metav1.Status errors: every failure the fake answers with is one of these, built the way
// k8s.io/apimachinery/pkg/api/errors builds them (same reasons, codes and message shapes).

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface MetaStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** The reason the real server gives for each code when nothing more specific applies. */
const reasonByCode: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

export function reasonForCode(code: number): string {
  return reasonByCode[code] ?? (code >= 500 ? 'InternalError' : 'Unknown');
}

export function failureStatus(code: number, reason: string, message: string, details?: StatusDetails): MetaStatus {
  const status: MetaStatus = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details !== undefined) status.details = details;
  return status;
}

/** A request that fails with a Status; thrown anywhere below the HTTP layer, which answers it. */
export class ApiError extends Error {
  constructor(readonly status: MetaStatus) {
    super(status.message);
  }
  get code(): number {
    return this.status.code;
  }
}

/** How errors name a resource: `deployments.apps`, or `configmaps` for the core group. */
export interface QualifiedResource {
  group: string;
  plural: string;
}
const qualified = (r: QualifiedResource) => (r.group === '' ? r.plural : `${r.plural}.${r.group}`);
const detailsOf = (r: QualifiedResource, name: string): StatusDetails =>
  r.group === '' ? { name, kind: r.plural } : { name, group: r.group, kind: r.plural };

export const errors = {
  notFound: (r: QualifiedResource, name: string) =>
    new ApiError(failureStatus(404, 'NotFound', `${qualified(r)} "${name}" not found`, detailsOf(r, name))),
  /** A URL no resource is served at. */
  noRoute: () => new ApiError(failureStatus(404, 'NotFound', 'the server could not find the requested resource', {})),
  alreadyExists: (r: QualifiedResource, name: string) =>
    new ApiError(failureStatus(409, 'AlreadyExists', `${qualified(r)} "${name}" already exists`, detailsOf(r, name))),
  conflict: (r: QualifiedResource, name: string, why = 'the object has been modified; please apply your changes to the latest version and try again') =>
    new ApiError(failureStatus(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(r)} "${name}": ${why}`, detailsOf(r, name))),
  /** 422 with one cause per problem, e.g. {field: 'metadata.name', reason: 'FieldValueRequired', message: 'Required value: ...'}. */
  invalid: (kind: string, group: string, name: string, causes: StatusCause[]) => {
    const qualifiedKind = group === '' ? kind : `${kind}.${group}`;
    const list = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : (c.message ?? ''))).join(', ');
    const details: StatusDetails = { name, kind, causes };
    if (group !== '') details.group = group;
    return new ApiError(failureStatus(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${list}`, details));
  },
  /** A patch that does not apply (a failed `test`, a missing path): 422 without naming the object. */
  unprocessable: (message: string) => new ApiError(failureStatus(422, 'Invalid', message)),
  badRequest: (message: string) => new ApiError(failureStatus(400, 'BadRequest', message)),
  methodNotAllowed: () => new ApiError(failureStatus(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {})),
  unsupportedMediaType: (contentType: string, accepted: readonly string[]) =>
    new ApiError(
      failureStatus(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format (${contentType}) - accepted media types include: ${accepted.join(', ')}`,
      ),
    ),
  /** What a watch from a compacted resourceVersion gets. */
  expired: (requested: number, oldest: number) =>
    failureStatus(410, 'Expired', `too old resource version: ${requested} (${oldest})`),
  internal: (message: string) => new ApiError(failureStatus(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] })),
};
