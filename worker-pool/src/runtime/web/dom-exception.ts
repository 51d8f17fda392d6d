// DOMException, which bare isolates lack: thrown by atob/btoa (and later by AbortSignal,
// structuredClone). The legacy `code` numbers are those of the WebIDL table.
const legacyCodes: Record<string, number> = {
  IndexSizeError: 1,
  HierarchyRequestError: 3,
  WrongDocumentError: 4,
  InvalidCharacterError: 5,
  NoModificationAllowedError: 7,
  NotFoundError: 8,
  NotSupportedError: 9,
  InvalidStateError: 11,
  SyntaxError: 12,
  InvalidModificationError: 13,
  NamespaceError: 14,
  InvalidAccessError: 15,
  TypeMismatchError: 17,
  SecurityError: 18,
  NetworkError: 19,
  AbortError: 20,
  URLMismatchError: 21,
  QuotaExceededError: 22,
  TimeoutError: 23,
  InvalidNodeTypeError: 24,
  DataCloneError: 25,
};

// A WeakMap rather than a #private field: V8 reads `name` while super() builds the stack,
// before a private field of the subclass would exist.
const names = new WeakMap<object, string>();

export class DOMException extends Error {
  constructor(message = '', name = 'Error') {
    super(String(message));
    names.set(this, String(name));
  }

  override get name(): string {
    return names.get(this) ?? 'Error';
  }

  get code(): number {
    return legacyCodes[this.name] ?? 0;
  }
}
