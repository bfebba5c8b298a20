// A line chart in one SVG: a line per series, a dot per point carrying what it shows
// (`data-series`, `data-x`, `data-y`, `data-run`) and a tooltip; picking a dot calls `onPick`.
// The run page draws a step's metric with it, the runs and compare pages a metric across runs.
import { type ChartPoint, extent, groupSeries, linearScale } from "./chart-data.js";
import { h, svg } from "./dom.js";
import { go } from "./nav.js";

export interface ChartOptions {
  width?: number;
  height?: number;
  /** Axis labels (the y extent) and a legend when there are several series. */
  axes?: boolean;
  /** What the chart is of, for its `<title>` and `aria-label`. */
  label?: string;
  /** Called with the point whose dot was clicked (or focused and Enter pressed). */
  onPick?: (point: ChartPoint) => void;
}

/** Distinct line colours, by `series-N` classes in the stylesheet (the page's policy bars inline styles). */
const COLOURS = 6;

export function lineChart(points: ChartPoint[], options: ChartOptions = {}): SVGElement {
  const width = options.width ?? 160;
  const height = options.height ?? 36;
  const left = options.axes ? 44 : 3;
  const [top, right, bottom] = options.axes ? [8, 8, 8] : [3, 3, 3];
  const [xLow, xHigh] = extent(points.map((p) => p.x));
  const [yLow, yHigh] = extent(points.map((p) => p.y));
  const x = linearScale([xLow, xHigh], [left, width - right]);
  const y = linearScale([yLow, yHigh], [height - bottom, top]);
  const root = svg("svg", {
    class: options.onPick ? "chart pickable" : "chart",
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": options.label ?? `${points.length} values`,
  });
  const title = svg("title");
  title.textContent = `${options.label ? `${options.label}: ` : ""}${points.length} values, ${yLow} to ${yHigh}`;
  root.append(title);
  if (options.axes) {
    for (const [value, at] of [
      [yHigh, top],
      [yLow, height - bottom],
    ] as const) {
      const tick = svg("text", { class: "tick", x: left - 4, y: at + 4, "text-anchor": "end" });
      tick.textContent = short(value);
      root.append(tick);
    }
    root.append(svg("line", { class: "axis", x1: left, y1: top, x2: left, y2: height - bottom }));
  }
  const series = groupSeries(points);
  const pick = options.onPick;
  series.forEach((s, index) => {
    const colour = `series-${index % COLOURS}`;
    const g = svg("g", { class: `series ${colour}`, "data-series": s.name });
    g.append(
      svg("polyline", { points: s.points.map((p) => `${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`).join(" ") }),
    );
    for (const p of s.points) {
      const dot = svg("circle", {
        class: "point",
        cx: x(p.x).toFixed(1),
        cy: y(p.y).toFixed(1),
        r: options.axes ? 3.5 : 1.5,
        "data-series": p.series,
        "data-x": p.x,
        "data-y": p.y,
        ...(p.run !== undefined ? { "data-run": p.run } : {}),
      });
      const tip = svg("title");
      tip.textContent = p.title;
      dot.append(tip);
      if (pick) {
        // Reached with the keyboard too: Tab to a point, Enter opens it.
        dot.setAttribute("tabindex", "0");
        dot.setAttribute("role", "link");
        dot.setAttribute("aria-label", p.title);
        dot.addEventListener("click", () => pick(p));
        dot.addEventListener("keydown", (event) => {
          if (event.key === "Enter") pick(p);
        });
      }
      g.append(dot);
    }
    root.append(g);
  });
  return root;
}

/** A chart with its heading and, for several series, a legend of which colour is which. */
export function chartFigure(name: string, points: ChartPoint[], options: ChartOptions = {}): HTMLElement {
  // The series in the order lineChart colours them: each name where it first appears.
  const names = [...new Set(points.map((p) => p.series))];
  return h(
    "figure",
    { class: "metric-chart", "data-metric": name },
    h("figcaption", {}, name),
    lineChart(points, { width: 360, height: 140, axes: true, label: name, ...options }),
    names.length > 1
      ? h(
          "ul",
          { class: "legend" },
          ...names.map((name, index) => h("li", { class: `series-${index % COLOURS}` }, name)),
        )
      : null,
  );
}

/** The charts of metrics across runs, each point opening its run. */
export function runCharts(charts: Array<{ name: string; points: ChartPoint[] }>): HTMLElement {
  return h(
    "div",
    { class: "charts" },
    ...charts.map((c) =>
      chartFigure(c.name, c.points, {
        onPick: (point) => {
          if (point.run) go(`/runs/${point.run}`);
        },
      }),
    ),
  );
}

/** A number short enough for an axis label. */
function short(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
}
