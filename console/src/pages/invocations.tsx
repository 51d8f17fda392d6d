import { InvocationDetail } from './invocations/invocation-detail.js';
import { InvocationSearchView } from './invocations/invocation-search.js';

/** #/invocations searches records; #/invocations/<id> shows one. */
export function InvocationsPage(props: { id: string | null }) {
  return props.id === null ? <InvocationSearchView /> : <InvocationDetail key={props.id} id={decodeURIComponent(props.id)} />;
}
