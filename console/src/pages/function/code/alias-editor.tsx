import { useMemo, useState } from 'preact/hooks';
import { api } from '../../../api/client.js';
import type { AliasTarget, VersionInfo } from '../../../api/types.js';
import { useAction } from '../../../api/use-action.js';
import { relativeTime } from '../../../components/format.js';
import { ErrorBanner } from '../../../components/ui.js';
import { useSession } from '../../../session-context.js';
import { defaultAlias, describeTarget, targetShares } from './aliases.js';

interface Row {
  id: number;
  version: number;
  weight: number;
}

/** The gateway takes at most this many versions in one split. */
const maxSplit = 10;

let nextRowId = 1;
const row = (version: number, weight: number): Row => ({ id: nextRowId++, version, weight });
const clampWeight = (value: number) => (Number.isFinite(value) ? Math.max(0, Math.min(100, Math.round(value))) : 0);

function rowsOf(target: AliasTarget): Row[] {
  return [...targetShares(target)].map(([version, weight]) => row(version, weight));
}

function sameTarget(a: AliasTarget, b: AliasTarget): boolean {
  if ('version' in a || 'version' in b) return 'version' in a && 'version' in b && a.version === b.version;
  const left = Object.entries(a.weights).filter(([, weight]) => weight > 0);
  const right = new Map(Object.entries(b.weights).filter(([, weight]) => weight > 0));
  return left.length === right.size && left.every(([version, weight]) => right.get(version) === weight);
}

/** A hue per position in the split, the same in the rows and in the bar. */
export const splitColors = ['var(--accent)', '#0ea5e9', '#f59e0b', '#10b981', '#ef4444', '#a855f7', '#14b8a6', '#f97316', '#64748b', '#ec4899'];

/** The split as one bar, a segment per version. */
export function SplitBar(props: { alias: string; shares: { version: number; weight: number }[] }) {
  const total = props.shares.reduce((sum, share) => sum + share.weight, 0);
  const description = props.shares.map((share) => `version ${share.version} ${share.weight}%`).join(', ');
  return (
    <div class="split-bar" role="img" aria-label={`Traffic of ${props.alias}: ${description}${total !== 100 ? ` (adds up to ${total})` : ''}`}>
      {props.shares.map((share, index) =>
        share.weight <= 0 ? null : (
          <span key={`${share.version}-${index}`} class="split-segment" style={{ width: `${(share.weight / Math.max(100, total)) * 100}%`, background: splitColors[index % splitColors.length] }}>
            <span class="split-label">{`v${share.version} ${share.weight}%`}</span>
          </span>
        ),
      )}
      {total < 100 && <span class="split-gap" style={{ width: `${100 - total}%` }} />}
    </div>
  );
}

/** Where one alias sends its traffic: one version, or a split by weights that add up to 100. */
export function AliasEditor(props: { functionName: string; alias: string; target: AliasTarget; versions: VersionInfo[]; onSaved: () => void }) {
  const { toast } = useSession();
  const { alias, target } = props;
  const [mode, setMode] = useState<'single' | 'split'>('version' in target ? 'single' : 'split');
  const [single, setSingle] = useState('version' in target ? target.version : Math.max(...targetShares(target).keys()));
  const [rows, setRows] = useState<Row[]>(() => rowsOf(target));
  const { busy, error: failure, run } = useAction();

  const numbers = useMemo(() => {
    const known = props.versions.map((version) => version.version);
    // Versions the alias names but the list lacks (deleted, or a stale list) stay selectable.
    for (const version of targetShares(target).keys()) if (!known.includes(version)) known.push(version);
    return known.sort((a, b) => b - a);
  }, [props.versions, target]);
  const createdAt = new Map(props.versions.map((version) => [version.version, version.createdAt]));
  const optionLabel = (version: number) => `Version ${version}${createdAt.has(version) ? ` · ${relativeTime(createdAt.get(version)!)}` : ''}`;

  const total = rows.reduce((sum, entry) => sum + entry.weight, 0);
  const duplicates = rows.filter((entry, index) => rows.findIndex((other) => other.version === entry.version) !== index).map((entry) => entry.version);
  const draft: AliasTarget = mode === 'single' ? { version: single } : { weights: Object.fromEntries(rows.map((entry) => [String(entry.version), entry.weight])) };
  const splitProblem =
    mode !== 'split'
      ? null
      : duplicates.length > 0
        ? `version ${duplicates[0]} appears twice; pick each version once`
        : total !== 100
          ? `weights add up to ${total}; they must add up to 100`
          : null;
  const unchanged = sameTarget(draft, target);
  const problemId = `split-problem-${alias}`;

  const update = (id: number, change: Partial<Row>) => setRows((list) => list.map((entry) => (entry.id === id ? { ...entry, ...change } : entry)));
  const unused = () => numbers.find((version) => !rows.some((entry) => entry.version === version));

  const chooseSplit = () => {
    setMode('split');
    if (rows.length === 1) {
      // A canary to start from: the version served now keeps 90%, the newest other one gets 10%.
      const other = numbers.find((version) => version !== rows[0]!.version);
      setRows(other === undefined ? [row(rows[0]!.version, 100)] : [row(rows[0]!.version, 90), row(other, 10)]);
    }
  };
  const chooseSingle = () => {
    setMode('single');
    const heaviest = [...rows].sort((a, b) => b.weight - a.weight)[0];
    if (heaviest !== undefined) setSingle(heaviest.version);
  };

  const makeHundred = () => {
    const last = rows[rows.length - 1];
    if (last === undefined) return;
    update(last.id, { weight: clampWeight(last.weight + 100 - total) });
  };

  const save = async (event: Event) => {
    event.preventDefault();
    if (splitProblem !== null || unchanged) return;
    await run(async () => {
      await api(`/api/v1/functions/${encodeURIComponent(props.functionName)}/aliases/${encodeURIComponent(alias)}`, { method: 'PUT', body: draft });
      toast(`${alias} now serves ${describeTarget(draft)}`);
      props.onSaved();
    });
  };

  const headingId = `alias-${alias}-heading`;
  return (
    <section class="card alias-card" aria-labelledby={headingId}>
      <div class="card-header">
        <h2 id={headingId}>{alias}</h2>
        <span class="muted alias-now">
          {alias === defaultAlias ? 'serves every request that names no alias · ' : <>requests with <code>X-Isola-Alias: {alias}</code> · </>}
          now {describeTarget(target)}
        </span>
      </div>
      <SplitBar alias={alias} shares={mode === 'single' ? [{ version: single, weight: 100 }] : rows} />
      <form class="alias-form" onSubmit={save}>
        <fieldset class="alias-mode">
          <legend class="visually-hidden">How {alias} serves traffic</legend>
          <label class="radio">
            <input type="radio" name={`mode-${alias}`} checked={mode === 'single'} onChange={chooseSingle} /> One version
          </label>
          <label class="radio">
            <input type="radio" name={`mode-${alias}`} checked={mode === 'split'} onChange={chooseSplit} /> Split traffic
          </label>
        </fieldset>

        {mode === 'single' ? (
          <div class="field alias-single">
            <label for={`single-${alias}`}>Version for {alias}</label>
            <select id={`single-${alias}`} value={single} onChange={(event) => setSingle(Number(event.currentTarget.value))}>
              {numbers.map((version) => (
                <option key={version} value={version}>
                  {optionLabel(version)}
                </option>
              ))}
            </select>
          </div>
        ) : (
          <div class="split-rows">
            {rows.map((entry, index) => {
              const versionId = `split-${alias}-${entry.id}-version`;
              const sliderId = `split-${alias}-${entry.id}-slider`;
              const numberId = `split-${alias}-${entry.id}-number`;
              return (
                <div key={entry.id} class="split-row">
                  <span class="split-swatch" style={{ background: splitColors[index % splitColors.length] }} aria-hidden="true" />
                  <label for={versionId} class="visually-hidden">
                    Version in row {index + 1}
                  </label>
                  <select id={versionId} class="split-version" value={entry.version} onChange={(event) => update(entry.id, { version: Number(event.currentTarget.value) })}>
                    {numbers.map((version) => (
                      <option key={version} value={version} disabled={version !== entry.version && rows.some((other) => other.version === version)}>
                        {optionLabel(version)}
                      </option>
                    ))}
                  </select>
                  <label for={sliderId} class="visually-hidden">
                    Weight of version {entry.version}
                  </label>
                  <input
                    id={sliderId}
                    class="split-slider"
                    type="range"
                    min={0}
                    max={100}
                    step={1}
                    value={entry.weight}
                    onInput={(event) => update(entry.id, { weight: clampWeight(Number(event.currentTarget.value)) })}
                  />
                  <span class="split-number">
                    <label for={numberId} class="visually-hidden">
                      Weight of version {entry.version} (percent)
                    </label>
                    <input
                      id={numberId}
                      type="number"
                      min={0}
                      max={100}
                      step={1}
                      inputMode="numeric"
                      value={entry.weight}
                      aria-invalid={splitProblem !== null}
                      aria-describedby={splitProblem !== null ? problemId : undefined}
                      onInput={(event) => {
                        const text = event.currentTarget.value;
                        if (text !== '') update(entry.id, { weight: clampWeight(Number(text)) });
                      }}
                      onBlur={(event) => {
                        event.currentTarget.value = String(entry.weight);
                      }}
                    />
                    <span aria-hidden="true">%</span>
                  </span>
                  <button
                    type="button"
                    class="button button-small button-ghost split-remove"
                    aria-label={`Remove version ${entry.version} from the split`}
                    disabled={rows.length === 1}
                    onClick={() => setRows((list) => list.filter((other) => other.id !== entry.id))}
                  >
                    Remove
                  </button>
                </div>
              );
            })}
            <div class="split-footer">
              <button
                type="button"
                class="button button-small"
                disabled={rows.length >= maxSplit || unused() === undefined}
                title={unused() === undefined ? 'Every version is in the split already' : rows.length >= maxSplit ? `At most ${maxSplit} versions` : undefined}
                onClick={() => setRows((list) => [...list, row(unused()!, 0)])}
              >
                Add version
              </button>
              <span class={`split-total ${total === 100 ? 'ok' : 'bad'}`} aria-live="polite">
                Total {total}%
              </span>
              {total !== 100 && duplicates.length === 0 && (
                <button type="button" class="button button-small button-ghost" onClick={makeHundred}>
                  Make it 100
                </button>
              )}
            </div>
          </div>
        )}

        {splitProblem !== null && (
          <p id={problemId} class="field-error" role="alert">
            {splitProblem}
          </p>
        )}
        <ErrorBanner error={failure} title={`The traffic of ${alias} was not saved`} />
        <div class="alias-actions">
          {unchanged && splitProblem === null && <span class="help">No changes to save.</span>}
          <button type="submit" class="button button-primary" disabled={busy || splitProblem !== null || unchanged}>
            {busy ? 'Saving…' : `Save traffic for ${alias}`}
          </button>
        </div>
      </form>
    </section>
  );
}
