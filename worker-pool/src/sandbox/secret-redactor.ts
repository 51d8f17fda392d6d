import type { ErrorShape, LogLine } from '@isola/core';

/** Values shorter than this are not redacted: they would turn ordinary words and numbers into markers. */
export const minRedactedLength = 4;

/**
 * Replaces a function's secret values in what the platform keeps of its invocations (console
 * lines, error messages) with `[secret NAME redacted]`. Each value is also matched as it appears
 * inside a JSON string (console.log of an object), escapes and all. Values are searched longest
 * first and a match never overlaps an earlier one, so a secret that contains another is replaced
 * whole and a marker is never rescanned. A value the function transformed (sliced, encoded) is
 * not found. Plain indexOf searches, not one regular expression: 100 values of 64 KiB make a
 * pattern V8 refuses to compile.
 */
export class SecretRedactor {
  private constructor(private readonly forms: readonly (readonly [value: string, name: string])[]) {}

  /** A redactor for these secrets, or null when none is long enough to redact (nothing to do per invocation). */
  static for(secrets: Readonly<Record<string, string>>): SecretRedactor | null {
    const names = new Map<string, string>();
    for (const [name, value] of Object.entries(secrets).sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (value.length < minRedactedLength) continue;
      for (const form of [value, JSON.stringify(value).slice(1, -1)]) if (!names.has(form)) names.set(form, name);
    }
    if (names.size === 0) return null;
    return new SecretRedactor([...names].sort(([a], [b]) => b.length - a.length));
  }

  redact(text: string): string {
    let matches: { start: number; end: number; name: string }[] | null = null;
    // Positions already inside a match. Forms come longest first, so an earlier match that
    // overlaps [start, end) covers `start` or `end - 1`: checking those two is enough.
    let covered: Uint8Array | null = null;
    for (const [form, name] of this.forms) {
      if (form.length > text.length) continue;
      for (let start = text.indexOf(form); start !== -1; start = text.indexOf(form, start + 1)) {
        const end = start + form.length;
        if (covered !== null && (covered[start] === 1 || covered[end - 1] === 1)) continue;
        covered ??= new Uint8Array(text.length);
        covered.fill(1, start, end);
        (matches ??= []).push({ start, end, name });
        start = end - 1;
      }
    }
    if (matches === null) return text;
    matches.sort((a, b) => a.start - b.start);
    let redacted = '';
    let from = 0;
    for (const { start, end, name } of matches) {
      redacted += `${text.slice(from, start)}[secret ${name} redacted]`;
      from = end;
    }
    return redacted + text.slice(from);
  }

  redactLogs(lines: LogLine[]): LogLine[] {
    return lines.map((line) => {
      const message = this.redact(line.message);
      return message === line.message ? line : { ...line, message };
    });
  }

  redactError(error: ErrorShape): ErrorShape {
    const message = this.redact(error.message);
    return message === error.message ? error : { ...error, message };
  }
}
