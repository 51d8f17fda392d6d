// The last hour of a function at a glance: stat tiles and per-minute charts.
import { useMemo } from 'preact/hooks';
import { Link } from 'wouter-preact';
import type { FunctionMetrics } from '../../../api/types.js';
import { TimeChart, type ChartSeries } from '../../../components/charts/time-chart.js';
import { formatCount, formatMs, formatPercent } from '../../../components/format.js';
import { Card, Empty, StatTile } from '../../../components/ui.js';

/** Five tiles: invocations, error rate, p50, p99 and cold starts over the last hour. */
export function StatTiles(props: { metrics: FunctionMetrics }) {
  const total = props.metrics.total;
  const rate = total.invocations === 0 ? 0 : (total.errorRate ?? total.errors / total.invocations);
  return (
    <div class="ops-stats" role="group" aria-label="Last hour">
      <StatTile label="Invocations" value={formatCount(total.invocations)} detail="last hour" />
      <StatTile
        label="Error rate"
        value={formatPercent(rate)}
        detail={`${formatCount(total.errors)} error${total.errors === 1 ? '' : 's'}`}
        tone={rate >= 0.05 ? 'bad' : rate > 0 ? 'warn' : undefined}
      />
      <StatTile label="Latency p50" value={total.invocations === 0 ? '–' : formatMs(total.p50Ms)} detail={total.invocations === 0 ? 'no data' : `p95 ${formatMs(total.p95Ms)}`} />
      <StatTile label="Latency p99" value={total.invocations === 0 ? '–' : formatMs(total.p99Ms)} detail={total.invocations === 0 ? 'no data' : 'slowest 1%'} />
      <StatTile
        label="Cold starts"
        value={formatCount(total.coldStarts)}
        detail={total.invocations === 0 ? 'no data' : `${formatPercent(total.coldStarts / total.invocations)} of invocations`}
      />
    </div>
  );
}

const count = (value: number) => (Number.isInteger(value) ? formatCount(value) : value.toFixed(1));

/** Invocations and errors, latency, cold starts: one chart each, per minute over the last hour. */
export function MetricsCharts(props: { metrics: FunctionMetrics; name: string }) {
  const { buckets, total } = props.metrics;
  const charts = useMemo(() => {
    const times = buckets.map((bucket) => Math.floor(Date.parse(bucket.start) / 1000));
    // A minute without invocations has no latency: a gap, not a drop to zero.
    const latency = (pick: (b: (typeof buckets)[number]) => number) => buckets.map((bucket) => (bucket.invocations === 0 ? null : pick(bucket)));
    const traffic: ChartSeries[] = [
      { label: 'Invocations', values: buckets.map((bucket) => bucket.invocations), color: '--accent', kind: 'bars' },
      { label: 'Errors', values: buckets.map((bucket) => bucket.errors), color: '--bad', kind: 'bars' },
    ];
    const latencies: ChartSeries[] = [
      { label: 'p50', values: latency((bucket) => bucket.p50Ms), color: '--accent', kind: 'line' },
      { label: 'p99', values: latency((bucket) => bucket.p99Ms), color: '--warn', kind: 'line', dashed: true },
    ];
    const cold: ChartSeries[] = [{ label: 'Cold starts', values: buckets.map((bucket) => bucket.coldStarts), color: '--info', kind: 'bars' }];
    return { times, traffic, latencies, cold };
  }, [buckets]);

  if (total.invocations === 0) {
    return (
      <Card title="Last hour">
        <Empty title="No invocations in the last hour">
          Charts of invocations, errors, latency and cold starts appear here once the function runs.{' '}
          <Link href={`/functions/${props.name}/invoke`}>Send a test request</Link>
        </Empty>
      </Card>
    );
  }
  return (
    <div class="stack">
      <Card title="Invocations and errors per minute">
        <TimeChart
          summary={`Invocations and errors per minute over the last hour: ${total.invocations} invocations, ${total.errors} errors.`}
          times={charts.times}
          step={props.metrics.bucketSeconds}
          series={charts.traffic}
          format={count}
          integer
        />
      </Card>
      <div class="grid-2">
        <Card title="Latency p50 and p99">
          <TimeChart
            summary={`Latency per minute over the last hour: p50 ${formatMs(total.p50Ms)}, p99 ${formatMs(total.p99Ms)} overall.`}
            times={charts.times}
            step={props.metrics.bucketSeconds}
            series={charts.latencies}
            format={(value) => (value === 0 ? '0 ms' : formatMs(value))}
          />
        </Card>
        <Card title="Cold starts per minute">
          <TimeChart summary={`Cold starts per minute over the last hour: ${total.coldStarts} in all.`} times={charts.times} step={props.metrics.bucketSeconds} series={charts.cold} format={count} integer />
        </Card>
      </div>
    </div>
  );
}
