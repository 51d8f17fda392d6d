/** Nearest-rank percentile (p in 0..100) of `values`; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

export const fmt = (value: number, digits = 2): string => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

/** `1234567` → `1,234,567`. */
export const grouped = (value: number): string => Math.round(value).toLocaleString('en-US');

export const mib = (kib: number): string => `${(kib / 1024).toFixed(0)} MiB`;

/** A target column: measured vs the goal, with a pass/fail mark. */
export function verdict(measured: number, goal: number): string {
  return Number.isFinite(measured) && measured <= goal ? '✅ met' : '❌ missed';
}
