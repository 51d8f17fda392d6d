// The one error binding methods reject with, built from the host's plain failure result. A class,
// so that stacks, `instanceof Error` and console formatting work as for any error; it is also a
// global (index.ts) so that authors can write `error instanceof BindingError`. The runtime keeps
// its own reference: replacing the global changes nothing about what binding methods throw.
import type { BindingErrorCode, BindingError as BindingErrorShape } from './types.js';

export class BindingError extends Error implements BindingErrorShape {
  override readonly name = 'BindingError' as const;
  readonly code: BindingErrorCode;
  readonly binding: string;
  readonly operation: string;
  readonly remote?: BindingErrorShape['remote'];

  constructor(code: BindingErrorCode, message: string, binding: string, operation: string, remote?: BindingErrorShape['remote']) {
    super(message);
    this.code = code;
    this.binding = binding;
    this.operation = operation;
    if (remote !== undefined) this.remote = Object.freeze({ ...remote });
  }
}
