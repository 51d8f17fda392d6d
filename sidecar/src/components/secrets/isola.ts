import type { SecretStore } from '@isola/core';
import { malformed } from '../../api/dapr-error.js';
import { secretNotFound, type SecretRequest, type SecretStoreComponent } from './secret-store.js';

/**
 * `secretstores.isola`: the platform's own function secrets (`isola secret put`), decrypted with
 * the platform's secret key. A function reads only its own, by name (`STRIPE_KEY`); an admin
 * outside the platform names the function: `<function>:<NAME>`, and for a bulk read
 * `?metadata.function=<function>`.
 */
export class IsolaSecretStore implements SecretStoreComponent {
  constructor(
    private readonly name: string,
    private readonly secrets: Pick<SecretStore, 'values'>,
  ) {}

  async get(key: string, request: SecretRequest): Promise<Record<string, string>> {
    let fn: string;
    let secret: string;
    if (request.caller.kind === 'function') {
      fn = request.caller.name;
      secret = key;
    } else {
      const at = key.indexOf(':');
      if (at <= 0) throw malformed(`secret store "${this.name}" holds each function's secrets: name one as <function>:<NAME> (e.g. cart-api:STRIPE_KEY)`);
      fn = key.slice(0, at);
      secret = key.slice(at + 1);
    }
    const value = (await this.secrets.values(fn))[secret];
    if (value === undefined) throw secretNotFound(key, this.name);
    return { [key]: value };
  }

  async bulk(request: SecretRequest): Promise<Record<string, Record<string, string>>> {
    const fn = request.caller.kind === 'function' ? request.caller.name : request.metadata.function;
    if (fn === undefined || fn === '') {
      throw malformed(`secret store "${this.name}" holds each function's secrets: name the function with ?metadata.function=<function>`);
    }
    const values = await this.secrets.values(fn);
    return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, { [key]: value }]));
  }

  async close(): Promise<void> {}
}
