// A time-series chart (uPlot) that fits its container, follows the light/dark theme through
// the stylesheet's CSS variables and keeps its zoom-free, hover-to-read behaviour identical
// everywhere in the console.
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  /** One value per time; null leaves a gap (e.g. latency of a minute without invocations). */
  values: (number | null)[];
  /** A CSS variable of the theme, such as `--accent` or `--bad`. */
  color: string;
  kind: 'bars' | 'line';
  /** Dashed line (a secondary series such as p99). */
  dashed?: boolean;
}

export interface TimeChartProps {
  /** Read by assistive technology in place of the canvas. */
  summary: string;
  /** Unix seconds, oldest first. */
  times: number[];
  series: ChartSeries[];
  /** Formats y values on the axis and in the legend. */
  format: (value: number) => string;
  /** Seconds each value covers (a bucket): bars fill their bucket and the last one shows whole. */
  step?: number;
  /** Counts: ticks at whole numbers only. */
  integer?: boolean;
  height?: number;
}

const darkQuery = '(prefers-color-scheme: dark)';

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

/** `#rgb`/`#rrggbb` with an alpha; other notations are returned as they are. */
function withAlpha(color: string, alpha: number): string {
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(color)?.[1];
  if (hex === undefined) return color;
  const full = hex.length === 3 ? [...hex].map((digit) => digit + digit).join('') : hex;
  const [r, g, b] = [0, 2, 4].map((at) => parseInt(full.slice(at, at + 2), 16));
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

/** Points with no neighbour: a line alone cannot show them, so they get a dot. */
function isolatedPoints(u: uPlot, seriesIdx: number): number[] | null {
  const values = u.data[seriesIdx] ?? [];
  const isolated: number[] = [];
  for (let index = 0; index < values.length; index++) {
    if (values[index] == null) continue;
    if (values[index - 1] == null && values[index + 1] == null) isolated.push(index);
  }
  return isolated.length === 0 ? null : isolated;
}

/** Whole-number tick steps for counts (uPlot would otherwise tick at 0.5). */
const integerSteps = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000, 1_000_000];

function buildOptions(props: TimeChartProps, width: number): uPlot.Options {
  const muted = cssVar('--muted');
  const border = cssVar('--border');
  const font = `11px ${cssVar('--sans')}`;
  const step = props.step ?? 0;
  const bars = uPlot.paths.bars?.({ size: [0.7, 24], align: step > 0 ? 1 : 0 });
  const axis = (extra: Partial<uPlot.Axis>): uPlot.Axis => ({
    stroke: muted,
    font,
    grid: { stroke: withAlpha(border, 1), width: 1 },
    ticks: { stroke: border, width: 1, size: 4 },
    ...extra,
  });
  return {
    width,
    height: props.height ?? 190,
    padding: [8, 8, 0, 0],
    cursor: { drag: { x: false, y: false, setScale: false }, points: { size: 6 } },
    legend: { live: true },
    scales: { x: { time: true, ...(step > 0 ? { range: (_u, min, max) => [min, max + step] as uPlot.Range.MinMax } : {}) }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
    axes: [
      axis({ space: 60 }),
      axis({
        size: 56,
        values: (_u, splits) => splits.map((value) => props.format(value)),
        ...(props.integer === true ? { incrs: integerSteps } : {}),
      }),
    ],
    series: [
      { label: 'Time', value: (_u, value) => (value === null ? '–' : new Date(value * 1000).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })) },
      ...props.series.map((series): uPlot.Series => {
        const color = cssVar(series.color);
        const common = { label: series.label, stroke: color, value: (_u: uPlot, value: number | null) => (value === null ? '–' : props.format(value)) };
        return series.kind === 'bars'
          ? { ...common, width: 0, fill: withAlpha(color, 0.75), ...(bars === undefined ? {} : { paths: bars }), points: { show: false } }
          : { ...common, width: 2, spanGaps: false, points: { show: false, size: 6, fill: color, filter: isolatedPoints }, ...(series.dashed === true ? { dash: [6, 4] } : {}), fill: withAlpha(color, 0.08) };
      }),
    ],
  };
}

/** A uPlot chart of `series` over `times`; resizes with its container and redraws on theme change. */
export function TimeChart(props: TimeChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const [width, setWidth] = useState(0);
  const [theme, setTheme] = useState(0);
  const latest = useRef(props);
  latest.current = props;
  const shape = props.series.map((series) => `${series.label}:${series.kind}:${series.color}`).join('|');

  useEffect(() => {
    const element = host.current;
    if (element === null) return;
    const observer = new ResizeObserver(([entry]) => {
      if (entry !== undefined) setWidth(Math.floor(entry.contentRect.width));
    });
    observer.observe(element);
    const media = matchMedia(darkQuery);
    const onTheme = () => setTheme((value) => value + 1);
    media.addEventListener('change', onTheme);
    return () => {
      observer.disconnect();
      media.removeEventListener('change', onTheme);
    };
  }, []);

  // (Re)built when the series change shape or the theme changes; the data alone is set below.
  useEffect(() => {
    const element = host.current;
    if (element === null || width === 0) return;
    const current = latest.current;
    const created = new uPlot(buildOptions(current, width), [current.times, ...current.series.map((series) => series.values)] as uPlot.AlignedData, element);
    plot.current = created;
    return () => {
      created.destroy();
      plot.current = null;
    };
    // The width is applied by setSize below once built: rebuilding on every pixel would flicker.
  }, [shape, theme, width === 0]);

  useEffect(() => {
    if (plot.current !== null && width > 0) plot.current.setSize({ width, height: props.height ?? 190 });
  }, [width, props.height]);

  useEffect(() => {
    plot.current?.setData([props.times, ...props.series.map((series) => series.values)] as uPlot.AlignedData);
  }, [props.times, props.series]);

  return (
    <figure class="chart" role="img" aria-label={props.summary}>
      <div ref={host} class="time-chart-host" />
    </figure>
  );
}
