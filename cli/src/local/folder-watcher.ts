// Watches a function folder for `isola dev`: a change anywhere in it (but node_modules, .isola
// and .git) calls back once the burst of events an editor's save makes is over. Each directory
// gets its own watcher: Node 20's recursive fs.watch on Linux loses a file once an editor has
// replaced it (write aside, rename over), and a directory's watcher never does.
import { existsSync, readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join, relative, sep } from 'node:path';

const ignored = new Set(['node_modules', '.isola', '.git']);
/** A save is often several events (write, rename, chmod): they are one change. */
const settleMs = 100;

export class FolderWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  private timer: NodeJS.Timeout | null = null;
  private changed = new Set<string>();
  private closed = false;

  /** `onChange` gets the paths (relative to the folder) that changed; the ones that no longer exist (editors' temporary files) are left out when others remain. */
  constructor(
    readonly folder: string,
    private readonly onChange: (paths: string[]) => void,
    private readonly onError: (error: Error) => void,
  ) {
    this.watchTree(folder);
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }

  private watchTree(dir: string): void {
    if (this.closed || this.watchers.has(dir)) return;
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, (_event, filename) => this.onEvent(dir, filename === null ? null : filename.toString()));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.onError(error as Error);
      return;
    }
    watcher.on('error', (error) => {
      this.forget(dir);
      // A directory that went away ends its watcher: not a problem.
      if (existsSync(dir)) this.onError(error);
    });
    this.watchers.set(dir, watcher);
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory() && !ignored.has(entry.name)) this.watchTree(join(dir, entry.name));
    }
  }

  private forget(dir: string): void {
    for (const [watched, watcher] of this.watchers) {
      if (watched === dir || watched.startsWith(dir + sep)) {
        watcher.close();
        this.watchers.delete(watched);
      }
    }
  }

  private onEvent(dir: string, filename: string | null): void {
    if (this.closed) return;
    const path = filename === null ? dir : join(dir, filename);
    if (filename !== null && ignored.has(filename)) return;
    // A new directory is watched too; one that went away is forgotten.
    let isDirectory = false;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {
      this.forget(path);
    }
    if (isDirectory && path !== dir) this.watchTree(path);
    this.changed.add(relative(this.folder, path));
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), settleMs);
  }

  private flush(): void {
    this.timer = null;
    const all = [...this.changed].filter((path) => path !== '').sort();
    this.changed = new Set();
    const existing = all.filter((path) => existsSync(join(this.folder, path)));
    this.onChange(existing.length > 0 ? existing : all);
  }
}
