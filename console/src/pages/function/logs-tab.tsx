import { useMemo, useState } from 'preact/hooks';
import { useLocation, useSearch } from 'wouter-preact';
import { LogView } from '../../components/logs/log-view.js';
import { maxLines, useLiveLogs, type TailState } from '../../components/logs/use-live-logs.js';
import { ErrorBanner } from '../../components/ui.js';
import { useDebounced } from '../../components/use-debounced.js';
import type { TabProps } from './function-page.js';
import { useNow } from './ops/use-now.js';
import { invocationParam } from './ops/logs-link.js';

const levels = [
  { value: '', label: 'All levels' },
  { value: 'log', label: 'log and above' },
  { value: 'info', label: 'info and above' },
  { value: 'warn', label: 'warn and above' },
  { value: 'error', label: 'error only' },
];

function TailStatus(props: { state: TailState; paused: boolean }) {
  // Ticks once a second so the countdown moves; the time itself is read fresh.
  useNow(1000);
  const { state } = props;
  let text: string;
  let kind: string;
  if (state.kind === 'failed') [text, kind] = ['Stopped', 'bad'];
  else if (props.paused) [text, kind] = ['Paused', 'idle'];
  else if (state.kind === 'open') [text, kind] = ['Live', 'ok'];
  else if (state.kind === 'waiting') [text, kind] = [`Reconnecting in ${Math.max(1, Math.ceil((state.retryAt - Date.now()) / 1000))} s`, 'warn'];
  else [text, kind] = ['Connecting…', 'idle'];
  return (
    <span class={`badge badge-${kind} log-status`} title={state.kind === 'waiting' ? state.reason : undefined}>
      {text}
    </span>
  );
}

/** Live logs: the recent lines, then a tail that follows; filters apply on the gateway. */
export function LogsTab(props: TabProps) {
  const name = props.fn.name;
  const search = useSearch();
  const [, navigate] = useLocation();
  const invocationId = invocationParam(search);
  const [paused, setPaused] = useState(false);
  const [level, setLevel] = useState('');
  const [text, setText] = useState('');
  const searchText = useDebounced(text.trim(), 350);
  const filter = useMemo(() => ({ level, search: searchText, invocationId }), [level, searchText, invocationId]);
  const logs = useLiveLogs(name, filter, paused);

  const filtered = level !== '' || searchText !== '' || invocationId !== null;
  const waiting = logs.state.kind === 'loading' ? 'Loading the recent lines…' : filtered ? 'No lines match these filters yet. New ones appear here as they are written.' : 'No log lines yet. Lines appear here as the function writes them.';

  return (
    <div class="stack logs-tab">
      <div class="log-toolbar" role="group" aria-label="Log controls">
        <button type="button" class={`button ${paused ? 'button-primary' : ''}`} onClick={() => setPaused(!paused)} disabled={logs.state.kind === 'failed'}>
          <span aria-hidden="true">{paused ? '▶' : '❚❚'}</span>
          {paused ? 'Follow' : 'Pause'}
        </button>
        <TailStatus state={logs.state} paused={paused} />
        {paused && logs.pending > 0 && (
          <button type="button" class="button button-small log-new" onClick={() => setPaused(false)}>
            {logs.pending.toLocaleString()} new line{logs.pending === 1 ? '' : 's'}
          </button>
        )}
        <span class="spacer" />
        <div class="log-field">
          <label for="log-level">Level</label>
          <select id="log-level" value={level} onChange={(event) => setLevel(event.currentTarget.value)}>
            {levels.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </select>
        </div>
        <div class="log-field log-search">
          <label for="log-text">Filter text</label>
          <input id="log-text" type="search" placeholder="text in the message" value={text} onInput={(event) => setText(event.currentTarget.value)} maxLength={200} />
        </div>
        <button type="button" class="button" onClick={logs.clear} disabled={logs.lines.length === 0 && logs.pending === 0}>
          Clear view
        </button>
      </div>
      {invocationId !== null && (
        <div class="row log-chips">
          <span class="log-chip">
            Invocation <code title={invocationId}>{invocationId.slice(0, 8)}</code>
            <button type="button" class="log-chip-remove" aria-label="Clear invocation filter" onClick={() => navigate(`/functions/${name}/logs?`, { replace: true })}>
              ✕
            </button>
          </span>
          <a href={`#/invocations/${invocationId}`}>View invocation</a>
        </div>
      )}
      {logs.state.kind === 'failed' && <ErrorBanner error={logs.state.error} title="The logs cannot be shown" />}
      <LogView
        lines={logs.lines}
        follow={!paused}
        label="Log lines"
        empty={waiting}
        footer={
          logs.lines.length >= maxLines ? <div class="log-note">Showing the latest {maxLines.toLocaleString()} lines.</div> : null
        }
      />
      <p class="help">
        {logs.more && logs.lines.length > 0 ? 'Older lines exist: the view starts with the latest 200. ' : ''}
        Times are local; the id after the level opens the invocation.
      </p>
    </div>
  );
}
