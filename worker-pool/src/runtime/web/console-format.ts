// Turns console arguments into one line of text, roughly as browsers and Node do: strings as
// they are, objects as JSON (cycles shown as "[Circular]"), Errors by their stack, and printf
// style %s %d %i %f %o %O %j %c substitutions in a leading string. Formatting never throws:
// a log call must not turn into an exception in the user's code.
import { withoutRuntimeFrames } from '../stack-frames.js';
import { Headers, sortedHeaderEntries } from './headers.js';
import { Request } from './request.js';
import { Response } from './response.js';
import { URLSearchParams } from './url.js';
import { append, jsonStringify } from '../primordials.js';

/** Formats console arguments into one message string. */
export function formatLogArguments(args: readonly unknown[]): string {
  if (args.length === 0) return '';
  const first = args[0];
  let rest = args.slice(1);
  let head: string;
  if (typeof first === 'string') {
    const substituted = substitute(first, rest);
    head = substituted.text;
    rest = rest.slice(substituted.used);
  } else head = formatValue(first);
  return [head, ...rest.map(formatValue)].join(' ');
}

/** Formats a single value as it would appear as a console argument. */
export function formatValue(value: unknown): string {
  try {
    return formatUnsafe(value);
  } catch {
    return safeTag(value);
  }
}

function substitute(format: string, args: readonly unknown[]): { text: string; used: number } {
  let used = 0;
  const text = format.replace(/%([sdifoOjc%])/g, (match, directive: string) => {
    if (directive === '%') return '%';
    if (used >= args.length) return match;
    const arg = args[used++];
    switch (directive) {
      case 's':
        return typeof arg === 'string' ? arg : formatValue(arg);
      case 'd':
      case 'i':
        return formatInteger(arg, directive === 'i');
      case 'f':
        return isPrimitive(arg) && typeof arg !== 'symbol' ? String(Number.parseFloat(String(arg))) : 'NaN';
      case 'c':
        return ''; // CSS styling has no meaning in captured logs.
      default:
        return formatValue(arg);
    }
  });
  return { text, used };
}

function formatInteger(arg: unknown, truncate: boolean): string {
  if (typeof arg === 'bigint') return `${arg}n`;
  if (typeof arg === 'symbol' || !isPrimitive(arg)) return 'NaN';
  const number = Number(arg);
  return String(truncate ? Math.trunc(number) : number);
}

// Objects and functions are NaN for %d/%f: converting them would run user valueOf/toString.
function isPrimitive(value: unknown): boolean {
  return (typeof value !== 'object' || value === null) && typeof value !== 'function';
}

function formatUnsafe(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'bigint':
      return `${value}n`;
    case 'symbol':
      return value.toString();
    case 'function':
      return formatFunction(value as (...args: never[]) => unknown);
    case 'object':
      if (value === null) return 'null';
      if (value instanceof Error) return formatError(value);
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
      return formatObject(value);
    default:
      return Object.is(value, -0) ? '-0' : String(value);
  }
}

function formatFunction(fn: (...args: never[]) => unknown): string {
  const name = typeof fn.name === 'string' && fn.name !== '' ? fn.name : '(anonymous)';
  return /^class[\s{]/.test(Function.prototype.toString.call(fn)) ? `[class ${name}]` : `[Function: ${name}]`;
}

function formatError(error: Error): string {
  const name = String(error.name);
  const message = String(error.message);
  const stack: unknown = error.stack;
  // V8 stacks start with "name: message"; use the stack when it still says what the error is.
  if (typeof stack === 'string' && stack.includes(message)) return withoutRuntimeFrames(stack);
  return message === '' ? name : `${name}: ${message}`;
}

function formatObject(value: object): string {
  // The path from the root to the value being serialized: `holder` is the object JSON.stringify
  // recurses into (a replacement, for Maps and the like), `original` the user's object.
  const path: { holder: object; original: object }[] = [];
  const text = jsonStringify(value, function (this: unknown, _key: string, current: unknown): unknown {
    if (typeof current === 'bigint') return `${current}n`;
    if (typeof current === 'function') return formatFunction(current as (...args: never[]) => unknown);
    if (typeof current === 'symbol') return current.toString();
    if (current === undefined) return path.length === 0 ? undefined : 'undefined';
    if (typeof current !== 'object' || current === null) return current;
    // The replacer runs with `this` = the holder; drop entries that are not on its path, so a
    // repeated (non-cyclic) reference is printed and only a true cycle is flagged.
    while (path.length > 0 && path[path.length - 1]!.holder !== this) path.pop();
    if (path.some((entry) => entry.original === current)) return '[Circular]';
    if (current instanceof Error) return formatError(current);
    const holder = replacementFor(current);
    if (typeof holder === 'object') append(path, { holder, original: current });
    return holder;
  });
  return text ?? safeTag(value);
}

function replacementFor(value: object): object | string {
  // Web API objects keep their state in private fields, which JSON would print as {}.
  if (value instanceof Headers) return headersObject(value);
  if (value instanceof Request) return { method: value.method, url: value.url, headers: headersObject(value.headers) };
  if (value instanceof Response) {
    return { status: value.status, statusText: value.statusText, headers: headersObject(value.headers) };
  }
  if (value instanceof URLSearchParams) return value.toString();
  if (value instanceof Map) return { [`Map(${value.size})`]: Object.fromEntries(mapEntries(value)) };
  if (value instanceof Set) return { [`Set(${value.size})`]: [...value] };
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<unknown>);
  return value;
}

function headersObject(headers: Headers): Record<string, string> {
  // Null prototype: "__proto__" is a valid header name.
  const object = Object.create(null) as Record<string, string>;
  for (const [name, value] of sortedHeaderEntries(headers)) {
    object[name] = name in object ? `${object[name]}, ${value}` : value;
  }
  return object;
}

function mapEntries(map: Map<unknown, unknown>): [string, unknown][] {
  return [...map].map(([key, entryValue]) => [typeof key === 'string' ? key : formatValue(key), entryValue]);
}

function safeTag(value: unknown): string {
  try {
    return Object.prototype.toString.call(value);
  } catch {
    return '[object]';
  }
}
