// Small building blocks every page uses, so that pages look and behave alike.
import { cloneElement, type ComponentChildren, type VNode } from 'preact';
import type { ApiError } from '../api/client.js';
import type { HealthStatus } from '../api/types.js';

export function PageHeader(props: { title: ComponentChildren; subtitle?: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <header class="page-header">
      <div>
        <h1>{props.title}</h1>
        {props.subtitle !== undefined && <p class="subtitle">{props.subtitle}</p>}
      </div>
      {props.actions !== undefined && <div class="actions">{props.actions}</div>}
    </header>
  );
}

/** An API failure, said plainly; 403s explain which role would do. */
export function ErrorBanner(props: { error: ApiError | Error | null; title?: string }) {
  if (props.error === null) return null;
  const error = props.error as ApiError;
  const forbidden = error.status === 403;
  return (
    <div class="banner banner-error" role="alert">
      <strong>{props.title ?? (forbidden ? 'Not allowed' : 'Something went wrong')}</strong>
      <span>{error.message}</span>
      {error.problems !== undefined && error.problems.length > 0 && (
        <ul>
          {error.problems.map((problem, index) => (
            <li key={`${index}:${problem.path}`}>
              <code>{problem.path === '' ? '(root)' : problem.path}</code>: {problem.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Notice(props: { kind?: 'info' | 'success' | 'warning'; children: ComponentChildren }) {
  return (
    <div class={`banner banner-${props.kind ?? 'info'}`} role="status">
      {props.children}
    </div>
  );
}

export function Spinner(props: { label?: string }) {
  return (
    <div class="spinner" role="status" aria-live="polite">
      <span class="spinner-dot" aria-hidden="true" />
      {props.label ?? 'Loading…'}
    </div>
  );
}

export function Empty(props: { title: string; children?: ComponentChildren }) {
  return (
    <div class="empty">
      <strong>{props.title}</strong>
      {props.children !== undefined && <div>{props.children}</div>}
    </div>
  );
}

export function Card(props: { title?: ComponentChildren; actions?: ComponentChildren; children: ComponentChildren; class?: string }) {
  return (
    <section class={`card ${props.class ?? ''}`}>
      {(props.title !== undefined || props.actions !== undefined) && (
        <div class="card-header">
          {props.title !== undefined && <h2>{props.title}</h2>}
          {props.actions !== undefined && <div class="actions">{props.actions}</div>}
        </div>
      )}
      {props.children}
    </section>
  );
}

const healthLabels: Record<HealthStatus, string> = {
  healthy: 'Healthy',
  idle: 'Idle',
  degraded: 'Degraded',
  failing: 'Failing',
  quarantined: 'Quarantined',
};

export function HealthBadge(props: { status: HealthStatus | undefined; reason?: string | null }) {
  const status = props.status ?? 'idle';
  return (
    <span class={`badge badge-${status}`} title={props.reason ?? undefined}>
      {healthLabels[status]}
    </span>
  );
}

export function Badge(props: { kind?: string; children: ComponentChildren; title?: string }) {
  return (
    <span class={`badge badge-${props.kind ?? 'neutral'}`} title={props.title}>
      {props.children}
    </span>
  );
}

/** One figure of a row of tiles: a label, the value (red or amber when `tone` says so), a line under it. */
export function StatTile(props: { label: string; value: ComponentChildren; detail?: ComponentChildren; tone?: 'bad' | 'warn' | undefined }) {
  return (
    <div class="card stat">
      <span class="stat-label">{props.label}</span>
      <span class={`stat-value ${props.tone === undefined ? '' : `text-${props.tone}`}`}>{props.value}</span>
      {props.detail !== undefined && <span class="stat-label">{props.detail}</span>}
    </div>
  );
}

/**
 * A labelled form control with a line of help under it that turns into the problem when there
 * is one. The control (the one child) gets the id, `aria-invalid` when `problem` is given, and
 * `aria-describedby` pointing at the help line.
 */
export function Field(props: { id: string; label: ComponentChildren; help?: ComponentChildren; problem?: string | null | undefined; children: VNode }) {
  const helpId = `${props.id}-help`;
  const invalid = props.problem !== undefined && props.problem !== null;
  const hasHelp = invalid || props.help !== undefined;
  const control = cloneElement(props.children, {
    id: props.id,
    ...(props.problem === undefined ? {} : { 'aria-invalid': invalid }),
    ...(hasHelp ? { 'aria-describedby': helpId } : {}),
  });
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {control}
      {hasHelp && (
        <p id={helpId} class={invalid ? 'help field-error' : 'help'}>
          {invalid ? props.problem : props.help}
        </p>
      )}
    </div>
  );
}
