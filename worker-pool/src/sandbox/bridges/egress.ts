// Which hosts a function's `fetch` may reach (manifest `egress`), and which addresses are
// never reachable through a hostname: private, loopback, link-local, unspecified, multicast
// and reserved ranges, IPv4 and IPv6 (including IPv4 embedded in IPv6). The host check runs
// before any packet leaves (no DNS lookup for an unlisted host); the address check runs on
// every address a lookup returns, at connect time, so DNS rebinding cannot get around it.
import { isIP } from 'node:net';

/** One compiled `egress` entry. */
export interface EgressRule {
  /** The entry as written in the manifest. */
  entry: string;
  /** Canonical host as WHATWG URL spells it (lowercase, punycode, IPv6 in brackets), no trailing dot. */
  host: string;
  /** `*.domain`: any subdomain of `host`, not `host` itself. */
  wildcard: boolean;
  /** null: any port. */
  port: number | null;
  /** The canonical address when the entry names an IP address literally (brackets removed). */
  address: string | null;
}

/** Compiles manifest entries (already validated by the manifest schema); unusable ones are skipped. */
export function compileEgress(entries: readonly string[]): EgressRule[] {
  const rules: EgressRule[] = [];
  for (const entry of entries) {
    const match = /^(\*\.)?(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(entry);
    if (match === null) continue;
    const port = match[3] === undefined ? null : Number(match[3]);
    if (port !== null && (port < 1 || port > 65_535)) continue;
    let host: string;
    try {
      host = withoutTrailingDot(new URL(`http://${match[2]}/`).hostname);
    } catch {
      continue;
    }
    const address = addressOf(host);
    const wildcard = match[1] !== undefined;
    if (wildcard && address !== null) continue; // *.127.0.0.1 names nothing
    rules.push({ entry, host, wildcard, port, address });
  }
  return rules;
}

/** The default port of the schemes fetch supports. */
export function effectivePort(url: URL): number {
  if (url.port !== '') return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}

/** The first rule that allows this URL's host and port, or null. */
export function matchEgress(rules: readonly EgressRule[], url: URL): EgressRule | null {
  const host = withoutTrailingDot(url.hostname);
  const port = effectivePort(url);
  const isAddress = addressOf(host) !== null;
  for (const rule of rules) {
    if (rule.port !== null && rule.port !== port) continue;
    if (rule.wildcard ? !isAddress && host.endsWith(`.${rule.host}`) : host === rule.host) return rule;
  }
  return null;
}

/** What to add to `egress` to allow this URL: the host, with the port when it is not the default. */
export function egressEntryFor(url: URL): string {
  const host = withoutTrailingDot(url.hostname);
  return url.port === '' ? host : `${host}:${url.port}`;
}

/** A URL hostname's IP address without brackets, or null when it is a name. */
export function addressOf(hostname: string): string | null {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return isIP(bare) === 0 ? null : bare;
}

/** Whether two textual addresses are the same address (`::1` and `0:0::1` are). */
export function sameAddress(a: string, b: string): boolean {
  if (a === b) return true;
  const left = parseAddress(a);
  const right = parseAddress(b);
  return left !== null && right !== null && left.length === right.length && left.every((byte, index) => byte === right[index]);
}

export type AddressKind = 'unspecified' | 'loopback' | 'private' | 'link-local' | 'multicast' | 'reserved';

/**
 * Why an address must not be reached through a hostname, or null for a public address.
 * Unparseable input counts as reserved: fail closed.
 */
export function restrictedAddressKind(address: string): AddressKind | null {
  const bytes = parseAddress(address);
  if (bytes === null) return 'reserved';
  return bytes.length === 4 ? ipv4Kind(bytes) : ipv6Kind(bytes);
}

const ipv4Ranges: [prefix: number[], bits: number, kind: AddressKind][] = [
  [[0], 8, 'unspecified'], // "this network"
  [[10], 8, 'private'],
  [[100, 64], 10, 'private'], // carrier-grade NAT
  [[127], 8, 'loopback'],
  [[169, 254], 16, 'link-local'], // includes 169.254.169.254, cloud metadata
  [[172, 16], 12, 'private'],
  [[192, 0, 0], 24, 'reserved'], // IETF protocol assignments
  [[192, 168], 16, 'private'],
  [[198, 18], 15, 'private'], // benchmarking
  [[224], 4, 'multicast'],
  [[240], 4, 'reserved'], // includes 255.255.255.255
];

function ipv4Kind(bytes: number[]): AddressKind | null {
  for (const [prefix, bits, kind] of ipv4Ranges) if (inPrefix(bytes, prefix, bits)) return kind;
  return null;
}

function ipv6Kind(bytes: number[]): AddressKind | null {
  const zeros = (from: number, to: number) => bytes.slice(from, to).every((byte) => byte === 0);
  if (zeros(0, 16)) return 'unspecified';
  if (zeros(0, 15) && bytes[15] === 1) return 'loopback';
  // IPv4-mapped ::ffff:a.b.c.d and the deprecated IPv4-compatible ::a.b.c.d: judge the IPv4.
  if (zeros(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return ipv4Kind(bytes.slice(12));
  if (zeros(0, 12)) return ipv4Kind(bytes.slice(12)) ?? 'reserved';
  // NAT64 64:ff9b::/96 embeds the IPv4 in the last 32 bits; 64:ff9b:1::/48 is for local use.
  if (inPrefix(bytes, [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0], 96)) return ipv4Kind(bytes.slice(12));
  if (inPrefix(bytes, [0x00, 0x64, 0xff, 0x9b, 0x00, 0x01], 48)) return 'private';
  // 6to4 2002::/16 embeds the IPv4 in bits 16..48.
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return ipv4Kind(bytes.slice(2, 6));
  if (inPrefix(bytes, [0x01, 0, 0, 0, 0, 0, 0, 0], 64)) return 'reserved'; // discard-only
  if (inPrefix(bytes, [0xfe, 0x80], 10)) return 'link-local';
  if (inPrefix(bytes, [0xfe, 0xc0], 10)) return 'private'; // deprecated site-local
  if (inPrefix(bytes, [0xfc], 7)) return 'private'; // unique local
  if (bytes[0] === 0xff) return 'multicast';
  return null;
}

function inPrefix(bytes: number[], prefix: number[], bits: number): boolean {
  for (let bit = 0; bit < bits; bit += 8) {
    const index = bit / 8;
    const width = Math.min(8, bits - bit);
    const mask = (0xff << (8 - width)) & 0xff;
    if (((bytes[index] ?? 0) & mask) !== ((prefix[index] ?? 0) & mask)) return false;
  }
  return true;
}

/** 4 bytes for IPv4, 16 for IPv6 (a zone such as %eth0 is ignored), null when not an address. */
function parseAddress(text: string): number[] | null {
  const address = text.replace(/%.*$/, '');
  const version = isIP(address);
  if (version === 4) return address.split('.').map(Number);
  if (version !== 6) return null;
  // A dotted IPv4 tail (::ffff:1.2.3.4) becomes two hex groups; isIP has validated the syntax.
  const hex = address.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_match, a: string, b: string, c: string, d: string) =>
    `${((Number(a) << 8) | Number(b)).toString(16)}:${((Number(c) << 8) | Number(d)).toString(16)}`,
  );
  const [left = '', right] = hex.split('::');
  const groupsOf = (part: string) => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const head = groupsOf(left);
  const tail = right === undefined ? [] : groupsOf(right);
  const groups = right === undefined ? head : [...head, ...Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  if (groups.length !== 8) return null;
  return groups.flatMap((group) => [group >> 8, group & 0xff]);
}

function withoutTrailingDot(host: string): string {
  return host.endsWith('.') ? host.slice(0, -1) : host;
}
