// The checks on metadata the real server makes for every resource (names, namespaces), with its
// messages. Nothing kind-specific: specs are not validated (see fake-apiserver.ts).
import type { StatusCause } from './status.js';
import type { NameRule } from './resources.js';

const label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const dns1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

const messages: Record<NameRule, string> = {
  subdomain:
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  label:
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
  dns1035:
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
  path: 'may not be \'.\' or \'..\' and may not contain \'/\' or \'%\'',
};

function nameProblem(name: string, rule: NameRule): string | undefined {
  switch (rule) {
    case 'subdomain':
      if (name.length > 253) return 'must be no more than 253 characters';
      return subdomain.test(name) ? undefined : messages.subdomain;
    case 'label':
    case 'dns1035':
      if (name.length > 63) return 'must be no more than 63 characters';
      return (rule === 'label' ? label : dns1035).test(name) ? undefined : messages[rule];
    case 'path':
      return name === '.' || name === '..' || /[/%]/.test(name) ? messages.path : undefined;
  }
}

/** The problems with metadata.name, as Status causes (empty when it is fine). */
export function validateName(name: string | undefined, rule: NameRule): StatusCause[] {
  if (name === undefined || name === '') {
    return [{ field: 'metadata.name', reason: 'FieldValueRequired', message: 'Required value: name or generateName is required' }];
  }
  const problem = nameProblem(name, rule);
  return problem === undefined ? [] : [{ field: 'metadata.name', reason: 'FieldValueInvalid', message: `Invalid value: "${name}": ${problem}` }];
}

const generateAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

/** What generateName becomes: the prefix and five random characters, as the real server does. */
export function generateName(prefix: string): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += generateAlphabet[Math.floor(Math.random() * generateAlphabet.length)];
  return `${prefix}${suffix}`;
}

/** RFC 3339 with second precision, as metav1.Time serialises. */
export const timestamp = (date: Date = new Date()) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');
