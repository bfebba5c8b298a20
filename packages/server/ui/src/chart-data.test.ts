import { describe, expect, it } from "vitest";
import { extent, groupSeries, linearScale, metricCharts } from "./chart-data.js";

describe("linearScale", () => {
  it("maps the domain's ends onto the range's, and between them in proportion", () => {
    const y = linearScale([0.2, 0.9], [100, 0]);
    expect(y(0.2)).toBe(100);
    expect(y(0.9)).toBeCloseTo(0);
    expect(y(0.55)).toBeCloseTo(50);
  });

  it("puts every value of a one-value domain in the middle of the range", () => {
    const x = linearScale([3, 3], [10, 30]);
    expect(x(3)).toBe(20);
    expect(Number.isFinite(x(7))).toBe(true);
  });
});

describe("extent", () => {
  it("is the smallest and largest value, [0, 0] for none", () => {
    expect(extent([0.5, -1, 4, 2])).toEqual([-1, 4]);
    expect(extent([])).toEqual([0, 0]);
  });
});

describe("groupSeries", () => {
  it("keeps series in the order they first appear, each one's points in order of x", () => {
    const p = (series: string, x: number) => ({ series, x, y: x, title: "" });
    const series = groupSeries([p("b", 2), p("a", 1), p("b", 0), p("a", 0)]);
    expect(series.map((s) => s.name)).toEqual(["b", "a"]);
    expect(series[0]?.points.map((q) => q.x)).toEqual([0, 2]);
    expect(series[1]?.points.map((q) => q.x)).toEqual([0, 1]);
  });
});

describe("metricCharts", () => {
  const m = (name: string, stepId: string, value: unknown, instance = -1) => ({
    name,
    stepId,
    value,
    instance,
  });

  it("charts each metric name across the runs in the order given, a series per step instance", () => {
    const charts = metricCharts([
      { run: { id: "r1" }, metrics: [m("loss", "fit", 0.4), m("loss", "check", 0.5), m("acc", "fit", 0.7)] },
      { run: { id: "r2" }, metrics: [m("loss", "fit", 0.3), m("loss", "train", 0.1, 2)] },
    ]);
    expect(charts.map((c) => c.name)).toEqual(["acc", "loss"]);
    const loss = charts[1];
    expect(loss?.runs).toEqual(["r1", "r2"]);
    expect(loss?.points.map((p) => [p.series, p.x, p.y, p.run])).toEqual([
      ["fit", 0, 0.4, "r1"],
      ["check", 0, 0.5, "r1"],
      ["fit", 1, 0.3, "r2"],
      ["train[2]", 1, 0.1, "r2"],
    ]);
    expect(loss?.points[0]?.title).toBe("r1 fit: loss = 0.4");
    // A run without the metric is a gap at its x, not a point.
    expect(charts[0]?.points.map((p) => p.x)).toEqual([0]);
  });

  it("leaves out values that are not finite numbers, and a metric with none", () => {
    const charts = metricCharts([
      { run: { id: "r1" }, metrics: [m("note", "fit", "fine"), m("loss", "fit", Number.NaN)] },
      { run: { id: "r2" }, metrics: [m("loss", "fit", 2), m("shape", "fit", [1, 2])] },
    ]);
    expect(charts.map((c) => [c.name, c.points.map((p) => p.y)])).toEqual([["loss", [2]]]);
  });

  it("has no chart when no run logged a metric", () => {
    expect(metricCharts([{ run: { id: "r1" }, metrics: [] }])).toEqual([]);
  });
});
