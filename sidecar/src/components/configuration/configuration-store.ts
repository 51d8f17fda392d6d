/** One configuration item as Dapr's configuration API answers it. */
export interface ConfigurationItem {
  value: string;
  version: string;
  metadata: Record<string, string>;
}

export type ConfigurationItems = Record<string, ConfigurationItem>;

/** A configuration store (Dapr's configuration building block): read, and be told of changes. */
export interface ConfigurationStore {
  /** The items of these keys (missing keys are left out); every item when `keys` is empty. */
  get(keys: readonly string[]): Promise<ConfigurationItems>;
  /**
   * Calls `onChange` with the changed items whenever one of `keys` changes (every key when
   * empty); a deleted key comes as an empty value and version. Resolves once listening.
   * Returns the function that stops it.
   */
  subscribe(keys: readonly string[], onChange: (items: ConfigurationItems) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
