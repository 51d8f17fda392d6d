import { apiPath } from '../../api/client.js';
import type { FunctionMetrics } from '../../api/types.js';
import { useApi } from '../../api/use-api.js';
import { ErrorBanner, Spinner } from '../../components/ui.js';
import type { TabProps } from './function-page.js';
import { BindingsCard } from './ops/bindings-card.js';
import { MetricsCharts, StatTiles } from './ops/metrics-section.js';
import { TriggersCard } from './ops/triggers-card.js';

/** The last hour in numbers and charts (refreshed every 10 s while the page is visible), then triggers and bindings. */
export function OverviewTab(props: TabProps) {
  const { data: metrics, error } = useApi<FunctionMetrics>(apiPath(`/functions/${encodeURIComponent(props.fn.name)}/metrics`), 10_000);
  return (
    <div class="stack ops-overview">
      {error !== null && <ErrorBanner error={error} title={metrics === null ? 'Could not load the metrics' : 'Could not refresh the metrics'} />}
      {metrics === null && error === null && <Spinner label="Loading the last hour…" />}
      {metrics !== null && (
        <>
          <StatTiles metrics={metrics} />
          <MetricsCharts metrics={metrics} name={props.fn.name} />
        </>
      )}
      <div class="grid-2 ops-cards">
        <TriggersCard fn={props.fn} />
        <BindingsCard fn={props.fn} />
      </div>
    </div>
  );
}
