import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessMemory {
  pid: number;
  ppid: number;
  /** What the process is, for the report: `isola up`, `worker`, `redis-server`, `esbuild`, or its command name. */
  role: string;
  rssKib: number;
}

/**
 * Every process under `rootPid` (itself included), with its resident set size from
 * /proc/<pid>/status VmRSS. Children are found through the ppid field of /proc/<pid>/stat.
 * Linux only: the bench runs where the platform runs.
 */
export function processTree(rootPid: number): ProcessMemory[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcFile(Number(entry), 'stat');
    // The command name (field 2) is in parentheses and may hold spaces: ppid follows the last ')'.
    const ppid = stat === null ? Number.NaN : Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (Number.isInteger(ppid)) parents.set(Number(entry), ppid);
  }
  const tree: ProcessMemory[] = [];
  const queue = [rootPid];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    const status = readProcFile(pid, 'status');
    if (status === null) continue; // exited meanwhile
    const rssKib = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? 0);
    tree.push({ pid, ppid: parents.get(pid) ?? 0, role: roleOf(pid, pid === rootPid), rssKib });
    for (const [child, parent] of parents) if (parent === pid) queue.push(child);
  }
  return tree;
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat; null once it has exited. */
export function cpuSeconds(pid: number): number | null {
  const stat = readProcFile(pid, 'stat');
  if (stat === null) return null;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat(5); fields[0] here is field 3.
  return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond;
}

/** Busy and total CPU time of the whole machine (all cores) so far, from /proc/stat, in seconds. */
export function machineCpuSeconds(): { busy: number; total: number } {
  const line = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const total = line.reduce((sum, value) => sum + value, 0);
  const idle = (line[3] ?? 0) + (line[4] ?? 0); // idle + iowait
  return { busy: (total - idle) / clockTicksPerSecond, total: total / clockTicksPerSecond };
}

/** USER_HZ: 100 on every Linux the bench runs on (the kernel's ABI constant for /proc). */
const clockTicksPerSecond = 100;

export const totalRssKib = (tree: readonly ProcessMemory[]): number => tree.reduce((sum, process) => sum + process.rssKib, 0);

function roleOf(pid: number, isRoot: boolean): string {
  if (isRoot) return 'isola up';
  const cmdline = (readProcFile(pid, 'cmdline') ?? '').split('\0').filter((arg) => arg !== '');
  if (cmdline.some((arg) => arg.endsWith('worker/main.js'))) return 'worker';
  if (cmdline.at(-1) === 'sidecar') return 'sidecar';
  const command = cmdline[0] ?? '';
  if (command.includes('redis-server')) return 'redis-server';
  if (command.includes('esbuild')) return 'esbuild';
  return (readProcFile(pid, 'comm') ?? `pid ${pid}`).trim();
}

function readProcFile(pid: number, file: string): string | null {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return null;
  }
}
