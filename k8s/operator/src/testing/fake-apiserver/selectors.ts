// labelSelector and fieldSelector query parameters, parsed as k8s.io/apimachinery's labels and
// fields packages read them.
import { errors } from './status.js';
import type { K8sObject } from './types.js';

type Requirement =
  | { key: string; op: 'exists' | 'notexists' }
  | { key: string; op: 'eq' | 'neq'; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'gt' | 'lt'; value: number };

export type Selector = (object: K8sObject) => boolean;
export const everything: Selector = () => true;

/** Splits on commas outside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts.map((p) => p.trim());
}

const keyPattern = '[A-Za-z0-9][-A-Za-z0-9_./]*';

function parseRequirement(text: string): Requirement {
  let m: RegExpExecArray | null;
  if ((m = new RegExp(`^!\\s*(${keyPattern})$`).exec(text))) return { key: m[1] ?? '', op: 'notexists' };
  if ((m = new RegExp(`^(${keyPattern})$`).exec(text))) return { key: m[1] ?? '', op: 'exists' };
  if ((m = new RegExp(`^(${keyPattern})\\s*(==|=|!=)\\s*([-A-Za-z0-9_.]*)$`).exec(text))) {
    return { key: m[1] ?? '', op: m[2] === '!=' ? 'neq' : 'eq', value: m[3] ?? '' };
  }
  if ((m = new RegExp(`^(${keyPattern})\\s+(in|notin)\\s*\\(([^)]*)\\)$`).exec(text))) {
    const values = (m[3] ?? '').split(',').map((v) => v.trim());
    return { key: m[1] ?? '', op: m[2] === 'in' ? 'in' : 'notin', values };
  }
  if ((m = new RegExp(`^(${keyPattern})\\s*(>|<)\\s*(-?\\d+)$`).exec(text))) {
    return { key: m[1] ?? '', op: m[2] === '>' ? 'gt' : 'lt', value: Number(m[3]) };
  }
  throw errors.badRequest(`unable to parse requirement: found '${text}', expected: !, identifier, or 'end of string'`);
}

function matches(requirement: Requirement, values: Record<string, string>): boolean {
  const has = Object.hasOwn(values, requirement.key);
  const value = values[requirement.key];
  switch (requirement.op) {
    case 'exists':
      return has;
    case 'notexists':
      return !has;
    case 'eq':
      return has && value === requirement.value;
    case 'neq':
      return !has || value !== requirement.value;
    case 'in':
      return has && requirement.values.includes(value ?? '');
    case 'notin':
      return !has || !requirement.values.includes(value ?? '');
    case 'gt':
      return has && Number(value) > requirement.value;
    case 'lt':
      return has && Number(value) < requirement.value;
  }
}

export function parseLabelSelector(text: string | undefined): Selector {
  if (text === undefined || text.trim() === '') return everything;
  const requirements = splitTopLevel(text).map(parseRequirement);
  return (object) => requirements.every((r) => matches(r, object.metadata.labels ?? {}));
}

/** Field selectors: metadata.name and metadata.namespace, with =, == and != (what every resource supports). */
export function parseFieldSelector(text: string | undefined): Selector {
  if (text === undefined || text.trim() === '') return everything;
  const terms = text.split(',').map((term) => {
    const m = /^\s*([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(term);
    if (!m) throw errors.badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
    const [, field = '', op, value = ''] = m;
    if (field !== 'metadata.name' && field !== 'metadata.namespace') {
      throw errors.badRequest(`field label not supported: ${field}`);
    }
    return { field, negate: op === '!=', value };
  });
  return (object) =>
    terms.every(({ field, negate, value }) => {
      const actual = field === 'metadata.name' ? (object.metadata.name ?? '') : (object.metadata.namespace ?? '');
      return (actual === value) !== negate;
    });
}

export function selectorOf(query: URLSearchParams): Selector {
  const labels = parseLabelSelector(query.get('labelSelector') ?? undefined);
  const fields = parseFieldSelector(query.get('fieldSelector') ?? undefined);
  return (object) => labels(object) && fields(object);
}
