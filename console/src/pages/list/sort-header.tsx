import type { ComponentChildren } from 'preact';

export type SortDirection = 'asc' | 'desc';

export interface SortState<K extends string> {
  key: K;
  direction: SortDirection;
}

/**
 * A column header that sorts the table: a real button (its name is the column's label) in a
 * `<th>` carrying aria-sort, so screen readers announce the order.
 */
export function SortHeader<K extends string>(props: {
  column: K;
  sort: SortState<K>;
  onSort: (next: SortState<K>) => void;
  /** Direction of the first click: names ascend, numbers descend. */
  firstDirection?: SortDirection;
  class?: string;
  children: ComponentChildren;
}) {
  const active = props.sort.key === props.column;
  const first = props.firstDirection ?? 'asc';
  const next: SortDirection = active ? (props.sort.direction === 'asc' ? 'desc' : 'asc') : first;
  return (
    <th class={props.class} aria-sort={active ? (props.sort.direction === 'asc' ? 'ascending' : 'descending') : 'none'}>
      <button type="button" class={`sort-button ${active ? 'active' : ''}`} onClick={() => props.onSort({ key: props.column, direction: next })}>
        {props.children}
        <span class="sort-arrow" aria-hidden="true">
          {active ? (props.sort.direction === 'asc' ? '▲' : '▼') : '↕'}
        </span>
      </button>
    </th>
  );
}
