// Function names are DNS labels (the manifest's `name`): checked before anything is written, with
// a suggestion made from what was typed.
import { dnsLabel } from '@isola/core';

/** Null when `name` is a valid function name, else a message that says why and suggests one. */
export function functionNameProblem(name: string): string | null {
  if (dnsLabel.safeParse(name).success) return null;
  const suggestion = suggestName(name);
  const instead = suggestion === null ? '' : `; try "${suggestion}"`;
  return `"${name}" is not a valid function name: use 1 to 63 lowercase letters, digits and -, starting and ending with a letter or digit${instead}`;
}

/** `My App!` → `my-app`; null when nothing usable is left. */
export function suggestName(text: string): string | null {
  const slug = text
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 63)
    .replace(/^-+|-+$/g, '');
  return slug !== '' && dnsLabel.safeParse(slug).success ? slug : null;
}
