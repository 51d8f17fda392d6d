// Small formatting helpers for what the platform commands print.

/** A plain-text table: a header row, then the rows, columns padded to their widest cell. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** 12.3 KiB, 1.2 MiB, 512 B. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** 45 ms under a second, 1.2 s above. */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** A short age: 5s, 3m, 2h, 4d ago. */
export function formatAge(iso: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (!Number.isFinite(seconds)) return iso;
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86_400)}d ago`;
}

export interface Palette {
  dim(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  green(text: string): string;
  cyan(text: string): string;
}

const plain: Palette = { dim: (text) => text, red: (text) => text, yellow: (text) => text, green: (text) => text, cyan: (text) => text };
const sgr = (code: number) => (text: string) => `\u001b[${code}m${text}\u001b[0m`;
const coloured: Palette = { dim: sgr(2), red: sgr(31), yellow: sgr(33), green: sgr(32), cyan: sgr(36) };

/** Colours when `stream` is a terminal and NO_COLOR is unset (https://no-color.org). */
export function paletteFor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): Palette {
  return stream.isTTY === true && (env.NO_COLOR ?? '') === '' ? coloured : plain;
}
