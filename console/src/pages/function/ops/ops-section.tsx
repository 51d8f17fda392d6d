import type { ComponentChildren } from 'preact';

/** One part of an overview card (HTTP, Cron, Bindings, Limits…), ruled off from the one before. */
export function OpsSection(props: { title: string; children: ComponentChildren }) {
  return (
    <div class="ops-section">
      <h3>{props.title}</h3>
      {props.children}
    </div>
  );
}
