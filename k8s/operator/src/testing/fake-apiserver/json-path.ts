// The JSONPath subset CRDs use: dotted fields for scale paths (`.spec.replicas`), and for
// printer columns also `[n]`, `[*]` and filters `[?(@.type=="Ready")]`.

type Step = { field: string } | { index: number } | { all: true } | { filter: { path: string[]; value: string } };

function parse(path: string): Step[] {
  const steps: Step[] = [];
  let rest = path.trim().replace(/^\{(.*)\}$/, '$1').replace(/^\$/, '');
  while (rest.length > 0) {
    let m: RegExpExecArray | null;
    if ((m = /^\.([^.[]+)/.exec(rest))) steps.push({ field: m[1] ?? '' });
    else if ((m = /^\[(\d+)\]/.exec(rest))) steps.push({ index: Number(m[1]) });
    else if ((m = /^\[\*\]/.exec(rest))) steps.push({ all: true });
    else if ((m = /^\[['"]([^'"]+)['"]\]/.exec(rest))) steps.push({ field: m[1] ?? '' });
    else if ((m = /^\[\?\(@((?:\.[^.=!\s)]+)+)\s*==\s*(?:"([^"]*)"|'([^']*)')\)\]/.exec(rest))) {
      steps.push({ filter: { path: (m[1] ?? '').slice(1).split('.'), value: m[2] ?? m[3] ?? '' } });
    } else throw new Error(`unsupported JSONPath at "${rest}" in "${path}"`);
    rest = rest.slice(m[0].length);
  }
  return steps;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function fieldOf(value: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>((v, key) => (isRecord(v) ? v[key] : undefined), value);
}

/** Every value the path selects (JSONPath semantics: a filter may select several). */
export function evaluate(value: unknown, path: string): unknown[] {
  let current: unknown[] = [value];
  for (const step of parse(path)) {
    const next: unknown[] = [];
    for (const v of current) {
      if ('field' in step) {
        if (isRecord(v) && v[step.field] !== undefined) next.push(v[step.field]);
      } else if ('index' in step) {
        if (Array.isArray(v) && step.index < v.length) next.push(v[step.index]);
      } else if ('all' in step) {
        if (Array.isArray(v)) next.push(...v);
        else if (isRecord(v)) next.push(...Object.values(v));
      } else if (Array.isArray(v)) {
        const { path: filterPath, value: expected } = step.filter;
        next.push(...v.filter((item) => String(fieldOf(item, filterPath)) === expected));
      }
    }
    current = next;
  }
  return current;
}

/** The first value a path selects, or undefined. */
export function readPath(value: unknown, path: string): unknown {
  return evaluate(value, path)[0];
}

/** Sets a dotted path (`.spec.replicas`), creating objects on the way. */
export function writePath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.replace(/^\./, '').split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (!isRecord(node[key])) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1] ?? ''] = value;
}
