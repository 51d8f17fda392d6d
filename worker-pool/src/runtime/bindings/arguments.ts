// Argument checks shared by the binding methods: a wrong type is the caller's mistake and throws
// a TypeError naming the method, as Web APIs do, before anything is sent.
import { plainJson } from './sidecar-call.js';

const isArray = Array.isArray;
const numberIsInteger = Number.isInteger;

/** `env.NAME.method()`, the prefix of every message about a call. */
export const callName = (binding: string, operation: string): string => `env.${binding}.${operation}()`;

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (isArray(value)) return 'an array';
  return typeof value === 'string' ? `"${value}"` : typeof value === 'object' ? 'an object' : typeof value === 'number' ? String(value) : `a ${typeof value}`;
}

/** JSON of a non-empty string argument. */
export function stringArg(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '') throw new TypeError(`${what} must be a non-empty string, got ${value === '' ? 'an empty string' : describe(value)}`);
  return plainJson(value);
}

/** JSON of one string or a non-empty list of them, always as an array. */
export function stringListArg(value: unknown, what: string): string {
  const list: unknown[] = typeof value === 'string' ? [value] : isArray(value) ? value : [];
  if (list.length === 0) throw new TypeError(`${what} must be a string or a non-empty array of strings, got ${describe(value)}`);
  const strings: string[] = [];
  for (let index = 0; index < list.length; index += 1) {
    stringArg(list[index], `${what}[${index}]`);
    strings[index] = list[index] as string;
  }
  return plainJson(strings);
}

/** A whole number of seconds ≥ 1 (or undefined when optional and absent). */
export function secondsArg(value: unknown, what: string): number {
  if (typeof value !== 'number' || !numberIsInteger(value) || value < 1) throw new TypeError(`${what} must be a whole number of seconds, at least 1, got ${describe(value)}`);
  return value;
}

/** An options argument: undefined or an object, whose properties are read once each. */
export function optionsArg(value: unknown, what: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object') throw new TypeError(`${what} must be an object, got ${describe(value)}`);
  return value as Record<string, unknown>;
}

/** The function argument, checked. */
export function functionArg<F>(value: unknown, what: string): F {
  if (typeof value !== 'function') throw new TypeError(`${what} must be a function, got ${describe(value)}`);
  return value as F;
}
