// What a line chart is drawn from, without the DOM: points grouped into series (a line each), the
// scales from values to pixels, and the metrics across runs turned into one chart per metric name
// with a line per step. Kept apart from chart.ts so it is tested without a browser.

import { stepKey } from "./step-key.js";

/** One point of a chart: `x` and `y` are values, not pixels; `run` is the run it opens, if any. */
export interface ChartPoint {
  series: string;
  x: number;
  y: number;
  run?: string;
  /** What its tooltip says. */
  title: string;
}

export interface Series {
  name: string;
  /** In order of `x`. */
  points: ChartPoint[];
}

/** The points as series, in the order each series first appears, each series's points by `x`. */
export function groupSeries(points: ChartPoint[]): Series[] {
  const series = new Map<string, ChartPoint[]>();
  for (const point of points) {
    const list = series.get(point.series);
    if (list) list.push(point);
    else series.set(point.series, [point]);
  }
  return [...series].map(([name, list]) => ({ name, points: list.sort((a, b) => a.x - b.x) }));
}

/**
 * A linear map from `domain` onto `range`. A domain of one value (a metric that never changed, a
 * single run) maps onto the middle of the range rather than dividing by zero.
 */
export function linearScale(domain: [number, number], range: [number, number]): (value: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  if (d1 === d0) return () => (r0 + r1) / 2;
  return (value) => r0 + ((value - d0) / (d1 - d0)) * (r1 - r0);
}

/** The smallest and largest of `values`; [0, 0] when there are none. */
export function extent(values: number[]): [number, number] {
  if (values.length === 0) return [0, 0];
  let low = values[0] as number;
  let high = low;
  for (const v of values) {
    if (v < low) low = v;
    if (v > high) high = v;
  }
  return [low, high];
}

/** A metric's last value in one step instance of one run, as `GET /api/v1/metrics` answers it. */
export interface RunMetric {
  name: string;
  value: unknown;
  stepId: string;
  instance: number;
}

export interface MetricChart {
  name: string;
  points: ChartPoint[];
  /** The runs along x: run `i` is at x = i. */
  runs: string[];
}

/**
 * One chart per metric name across `runs`, run `i` at x = i (the API answers newest first: the
 * runs page reverses them), a series per step instance that logged it. Only numbers are charted:
 * a metric with no numeric value in any run gets no chart.
 */
export function metricCharts(ordered: Array<{ run: { id: string }; metrics: RunMetric[] }>): MetricChart[] {
  const ids = ordered.map((r) => r.run.id);
  const charts = new Map<string, ChartPoint[]>();
  ordered.forEach(({ run, metrics }, x) => {
    for (const m of metrics) {
      if (typeof m.value !== "number" || !Number.isFinite(m.value)) continue;
      const series = stepKey(m);
      const point = {
        series,
        x,
        y: m.value,
        run: run.id,
        title: `${run.id} ${series}: ${m.name} = ${m.value}`,
      };
      const list = charts.get(m.name);
      if (list) list.push(point);
      else charts.set(m.name, [point]);
    }
  });
  return [...charts]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, points]) => ({ name, points, runs: ids }));
}
