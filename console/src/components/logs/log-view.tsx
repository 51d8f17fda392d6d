// A scrolling list of log lines that sticks to the bottom while new lines arrive, unless the
// reader has scrolled up to look at something.
import type { ComponentChildren } from 'preact';
import { memo } from 'preact/compat';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import type { LogLine } from '../../api/types.js';

const pad = (value: number, size = 2) => String(value).padStart(size, '0');

/** HH:MM:SS.mmm in local time. */
export function clockTime(ms: number): string {
  const date = new Date(ms);
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

export const LogLineRow = memo(function LogLineRow(props: { line: LogLine }) {
  const { line } = props;
  const level = String(line.level);
  return (
    <div class={`log-line log-line-${level}`}>
      <time class="log-time" dateTime={new Date(line.time).toISOString()} title={new Date(line.time).toLocaleString()}>
        {clockTime(line.time)}
      </time>
      <span class={`log-level log-level-${level}`}>{level}</span>
      <Link class="log-invocation" href={`/invocations/${line.invocationId}`} title={`Invocation ${line.invocationId} (version ${line.version})`}>
        {line.invocationId.slice(0, 8)}
      </Link>
      <span class="log-message">
        {line.message}
        {line.truncated === true && <span class="log-truncated"> [truncated]</span>}
      </span>
    </div>
  );
});

/** How close to the bottom still counts as "at the bottom". */
const stickyPx = 32;

/**
 * The lines in a `role=log` region named `label`. While `follow` is on and the reader is at the
 * bottom, new lines scroll into view; scrolling up stops that and offers a way back.
 */
export function LogView(props: { lines: LogLine[]; follow: boolean; label: string; empty?: ComponentChildren; footer?: ComponentChildren }) {
  const view = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const [scrolledUp, setScrolledUp] = useState(false);

  const onScroll = () => {
    const element = view.current;
    if (element === null) return;
    const bottom = element.scrollHeight - element.scrollTop - element.clientHeight <= stickyPx;
    atBottom.current = bottom;
    setScrolledUp(!bottom);
  };

  useLayoutEffect(() => {
    const element = view.current;
    if (element !== null && props.follow && atBottom.current) element.scrollTop = element.scrollHeight;
  }, [props.lines, props.follow]);

  const toBottom = () => {
    const element = view.current;
    if (element === null) return;
    element.scrollTop = element.scrollHeight;
    atBottom.current = true;
    setScrolledUp(false);
  };

  return (
    <div class="log-frame">
      <div ref={view} class="log-view" role="log" aria-label={props.label} aria-live={props.follow ? 'polite' : 'off'} tabIndex={0} onScroll={onScroll}>
        {props.lines.length === 0 ? <div class="log-empty">{props.empty ?? 'No lines.'}</div> : props.lines.map((line) => <LogLineRow key={line.id} line={line} />)}
        {props.footer}
      </div>
      {scrolledUp && props.lines.length > 0 && (
        <button type="button" class="button button-small log-jump" onClick={toBottom}>
          ↓ Latest
        </button>
      )}
    </div>
  );
}
