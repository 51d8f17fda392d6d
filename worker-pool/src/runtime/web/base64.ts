// atob and btoa as the HTML standard defines them ("forgiving-base64"): binary strings in and
// out, InvalidCharacterError for anything else.
import { DOMException } from './dom-exception.js';

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const valueOf = new Map<string, number>(Array.from(alphabet, (character, index) => [character, index]));
const asciiWhitespace = /[\t\n\f\r ]/g;

export function btoa(data: unknown): string {
  if (arguments.length === 0) throw new TypeError("Failed to execute 'btoa': 1 argument required, but only 0 present.");
  const text = String(data);
  let output = '';
  for (let index = 0; index < text.length; index += 3) {
    const a = byteAt(text, index);
    const b = index + 1 < text.length ? byteAt(text, index + 1) : -1;
    const c = index + 2 < text.length ? byteAt(text, index + 2) : -1;
    output += alphabet[a >> 2];
    output += alphabet[((a & 3) << 4) | (b < 0 ? 0 : b >> 4)];
    output += b < 0 ? '=' : alphabet[((b & 15) << 2) | (c < 0 ? 0 : c >> 6)];
    output += c < 0 ? '=' : alphabet[c & 63];
  }
  return output;
}

export function atob(data: unknown): string {
  if (arguments.length === 0) throw new TypeError("Failed to execute 'atob': 1 argument required, but only 0 present.");
  let text = String(data).replace(asciiWhitespace, '');
  if (text.length % 4 === 0) text = text.replace(/={1,2}$/, '');
  if (text.length % 4 === 1 || /[^A-Za-z0-9+/]/.test(text)) {
    throw new DOMException('The string to be decoded is not correctly encoded.', 'InvalidCharacterError');
  }
  let output = '';
  let buffer = 0;
  let bits = 0;
  for (const character of text) {
    buffer = (buffer << 6) | (valueOf.get(character) ?? 0);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      output += String.fromCharCode((buffer >> bits) & 0xff);
    }
  }
  return output;
}

function byteAt(text: string, index: number): number {
  const code = text.charCodeAt(index);
  if (code > 0xff) {
    throw new DOMException('Invalid character: btoa takes a binary string (every character below U+0100).', 'InvalidCharacterError');
  }
  return code;
}
