import { readFileSync } from 'node:fs';
import { secretNotFound, type SecretStoreComponent } from './secret-store.js';

/**
 * `secretstores.local.file`: a JSON file read once at start, nested objects flattened into keys
 * joined by `nestedSeparator` (`{"db": {"password": "x"}}` → `db:password`), as Dapr's local file
 * store does. For development: the file holds the secrets in plain text.
 */
export class LocalFileSecretStore implements SecretStoreComponent {
  private readonly secrets: ReadonlyMap<string, string>;

  constructor(
    private readonly name: string,
    file: string,
    separator: string,
  ) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new Error(`secret store "${name}": cannot read the secrets file ${file} (metadata secretsFile) as JSON: ${(error as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new Error(`secret store "${name}": the secrets file ${file} must hold a JSON object of secrets`);
    }
    this.secrets = flatten(parsed as Record<string, unknown>, separator);
  }

  async get(key: string): Promise<Record<string, string>> {
    const value = this.secrets.get(key);
    if (value === undefined) throw secretNotFound(key, this.name);
    return { [key]: value };
  }

  async bulk(): Promise<Record<string, Record<string, string>>> {
    return Object.fromEntries([...this.secrets].map(([key, value]) => [key, { [key]: value }]));
  }

  async close(): Promise<void> {}
}

function flatten(object: Record<string, unknown>, separator: string, prefix = '', into = new Map<string, string>()): Map<string, string> {
  for (const [key, value] of Object.entries(object)) {
    const name = prefix === '' ? key : `${prefix}${separator}${key}`;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) flatten(value as Record<string, unknown>, separator, name, into);
    else into.set(name, typeof value === 'string' ? value : JSON.stringify(value));
  }
  return into;
}
