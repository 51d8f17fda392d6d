import { DaprError } from '../../api/dapr-error.js';

/** Who asks for a secret: a function (its own secrets only, where the store knows owners) or an admin outside the platform. */
export type SecretCaller = { kind: 'function'; name: string } | { kind: 'admin' };

export interface SecretRequest {
  caller: SecretCaller;
  /** The request's `metadata.*` query parameters. */
  metadata: Readonly<Record<string, string>>;
}

/** A secret store (Dapr's secrets building block): read only. */
export interface SecretStoreComponent {
  /** `{key: value}` (a store may answer several values for one key, as Dapr allows). Throws secretNotFound. */
  get(key: string, request: SecretRequest): Promise<Record<string, string>>;
  /** Every secret the caller may read: `{key: {key: value}}`. */
  bulk(request: SecretRequest): Promise<Record<string, Record<string, string>>>;
  close(): Promise<void>;
}

/** 404 for a secret that is not there (Dapr answers 500; Isola tells it apart from a failing store). */
export function secretNotFound(key: string, store: string): DaprError {
  return new DaprError(404, 'ERR_SECRET_GET', `secret "${key}" not found in secret store "${store}"`);
}
