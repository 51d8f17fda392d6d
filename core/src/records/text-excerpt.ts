/**
 * Cutting text to a byte budget. Budgets count the bytes a string takes inside a JSON document
 * (UTF-8, with JSON's escapes), so a record's serialized size is bounded whatever the text
 * holds: a body of control characters or quotes would otherwise grow up to six times when
 * serialized. That count is never below the text's plain UTF-8 size.
 */

export interface Excerpt {
  text: string;
  /** The excerpt's size inside a JSON string, without the quotes. */
  jsonBytes: number;
  /** Whether anything was cut. */
  cut: boolean;
}

/** Bytes one UTF-16 code unit takes in a JSON string; surrogates are handled by the caller. */
function unitBytes(code: number): number {
  if (code < 0x20) return code === 0x08 || code === 0x09 || code === 0x0a || code === 0x0c || code === 0x0d ? 2 : 6;
  if (code === 0x22 || code === 0x5c) return 2;
  if (code < 0x80) return 1;
  if (code < 0x800) return 2;
  return 3;
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/** The longest prefix of `text` whose JSON form takes at most `maxBytes`; never splits a character. */
export function cutToJsonBytes(text: string, maxBytes: number): Excerpt {
  let bytes = 0;
  let index = 0;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    let cost: number;
    let units = 1;
    if (isHighSurrogate(code) && index + 1 < text.length && isLowSurrogate(text.charCodeAt(index + 1))) {
      cost = 4;
      units = 2;
    } else if (isHighSurrogate(code) || isLowSurrogate(code)) {
      cost = 6; // JSON.stringify escapes a lone surrogate as \udxxx
    } else {
      cost = unitBytes(code);
    }
    if (bytes + cost > maxBytes) return { text: text.slice(0, index), jsonBytes: bytes, cut: true };
    bytes += cost;
    index += units;
  }
  return { text, jsonBytes: bytes, cut: false };
}

/** The size of `text` inside a JSON string, without the quotes. */
export function jsonBytes(text: string): number {
  return cutToJsonBytes(text, Number.POSITIVE_INFINITY).jsonBytes;
}

const decoder = new TextDecoder('utf-8', { fatal: false });

/**
 * The start of a body as text: at most `maxBytes` are decoded (a multi-byte character cut at
 * the end is left out whole), then cut to the JSON budget. Bytes that are not UTF-8 decode to
 * U+FFFD. `cut` is true when the excerpt is not the whole body.
 */
export function utf8Excerpt(body: Uint8Array, maxBytes: number): Excerpt {
  let end = Math.min(body.byteLength, maxBytes);
  if (end < body.byteLength) {
    // Step back to the start of the character that straddles the cut.
    while (end > 0 && ((body[end] as number) & 0xc0) === 0x80) end -= 1;
  }
  const excerpt = cutToJsonBytes(decoder.decode(body.subarray(0, end)), maxBytes);
  return { ...excerpt, cut: excerpt.cut || end < body.byteLength };
}
