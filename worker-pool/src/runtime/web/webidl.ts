// The few WebIDL conversions the Web API classes need. They follow the WebIDL spec closely
// because user code (and our conformance tests) notice when, say, a header value with a
// character above U+00FF is accepted instead of rejected with a TypeError.
import { jsonStringify } from '../primordials.js';

/** True for anything WebIDL treats as an object (including functions). */
export function isObject(value: unknown): value is object {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

/** WebIDL DOMString: ToString, which throws a TypeError for symbols. */
export function toDOMString(value: unknown): string {
  if (typeof value === 'symbol') throw new TypeError('Cannot convert a Symbol value to a string');
  return String(value);
}

/** WebIDL ByteString: a string whose code units all fit in one byte. */
export function toByteString(value: unknown, what: string): string {
  const text = toDOMString(value);
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0xff) {
      throw new TypeError(`${what} contains a character above U+00FF, which is not a valid byte: ${jsonStringify(text)}`);
    }
  }
  return text;
}

/** WebIDL USVString: lone surrogates become U+FFFD. */
export function toUSVString(value: unknown): string {
  const text = toDOMString(value);
  // Fast path: most strings have no surrogates at all.
  if (!/[\uD800-\uDFFF]/.test(text)) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += text[i]! + text[i + 1]!;
        i++;
        continue;
      }
    }
    out += unit >= 0xd800 && unit <= 0xdfff ? '\uFFFD' : text[i]!;
  }
  return out;
}

/** WebIDL `unsigned short` without [EnforceRange]: ToNumber, truncate, wrap modulo 2^16. */
export function toUnsignedShort(value: unknown): number {
  const number = Number(value);
  if (!Number.isFinite(number)) return 0;
  const truncated = Math.trunc(number);
  return ((truncated % 0x10000) + 0x10000) % 0x10000;
}

/** Reads an optional dictionary argument: undefined and null mean empty, primitives are errors. */
export function toDictionary(value: unknown, what: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw new TypeError(`${what} must be an object`);
  return value as Record<string, unknown>;
}

/** HTTP token (RFC 9110): header names and methods. */
export const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
