// Reading ArrayBuffers and views through getters captured before user code runs: user code
// may redefine `byteLength` or Symbol.toStringTag on the prototypes, and a lying getter must
// not make crypto copy the wrong bytes. The getters also serve as brand checks: called on
// anything but the real thing, they throw.
import {
  arrayBufferByteLength,
  dataViewBuffer,
  dataViewByteLength,
  dataViewByteOffset,
  typedArrayBuffer,
  typedArrayByteLength,
  typedArrayByteOffset,
  typedArrayName,
  typedArraySet,
} from '../primordials.js';
const reflectApply = Reflect.apply;
const Uint8ArrayConstructor = Uint8Array;

/** The element type of a typed array ("Uint8Array"...), "DataView", or null for anything else. */
export function viewKind(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return null;
  const name = reflectApply(typedArrayName, value, []);
  if (typeof name === 'string') return name;
  try {
    reflectApply(dataViewBuffer, value, []);
    return 'DataView';
  } catch {
    return null;
  }
}

/** A Uint8Array over the bytes of a view or ArrayBuffer (no copy), or null when `value` is neither. */
export function bytesView(value: unknown): Uint8Array | null {
  const kind = viewKind(value);
  if (kind === 'DataView') {
    const buffer = reflectApply(dataViewBuffer, value, []) as ArrayBuffer;
    return new Uint8ArrayConstructor(buffer, reflectApply(dataViewByteOffset, value, []) as number, reflectApply(dataViewByteLength, value, []) as number);
  }
  if (kind !== null) {
    const buffer = reflectApply(typedArrayBuffer, value, []) as ArrayBuffer;
    return new Uint8ArrayConstructor(buffer, reflectApply(typedArrayByteOffset, value, []) as number, reflectApply(typedArrayByteLength, value, []) as number);
  }
  if (typeof value === 'object' && value !== null) {
    try {
      const length = reflectApply(arrayBufferByteLength, value, []) as number; // throws unless an ArrayBuffer
      return new Uint8ArrayConstructor(value as ArrayBuffer, 0, length);
    } catch {
      return null;
    }
  }
  return null;
}

/** WebIDL BufferSource: a copy of the bytes, taken now; TypeError for anything else. */
export function copyBufferSource(value: unknown, what: string): Uint8Array {
  const view = bytesView(value);
  if (view === null) throw new TypeError(`${what} is not an ArrayBuffer, a TypedArray or a DataView`);
  return copyBytes(view);
}

/** A copy with its own, exactly sized ArrayBuffer (`set`, unlike `slice`, consults no species constructor). */
export function copyBytes(view: Uint8Array): Uint8Array {
  const copy = new Uint8ArrayConstructor(reflectApply(typedArrayByteLength, view, []) as number);
  reflectApply(typedArraySet, copy, [view]);
  return copy;
}

/** A copy of `length` bytes of `view` from `offset`. */
export function copyRange(view: Uint8Array, offset: number, length: number): Uint8Array {
  const buffer = reflectApply(typedArrayBuffer, view, []) as ArrayBuffer;
  const start = (reflectApply(typedArrayByteOffset, view, []) as number) + offset;
  return copyBytes(new Uint8ArrayConstructor(buffer, start, length));
}

/** target.set(source) without going through the (patchable) prototype. */
export function setBytes(target: Uint8Array, source: Uint8Array): void {
  reflectApply(typedArraySet, target, [source]);
}

/** The byte length of a Uint8Array made by bytesView/copyBytes. */
export function byteLengthOf(view: Uint8Array): number {
  return reflectApply(typedArrayByteLength, view, []) as number;
}
