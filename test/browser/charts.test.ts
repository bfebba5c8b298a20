// The metric charts across runs in a real browser (Debian's Chromium), served by `canal ui` as its
// own process: the runs page filtered by a pipeline charts the last value of each metric of its
// runs (a line per step), a point opens its run; the compare page puts three runs side by side
// with a chart across them, and names a run that is not there.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canal } from "../canal.js";
import { makeProject, repoRoot, stopServer } from "../helpers.js";
import { launchChromium, screenshotDir } from "./chromium.mjs";
import { startUi, type UiServer } from "./ui-server.js";

const fixtures = join(import.meta.dirname, "fixtures");
const LEVELS = [1, 2, 3];

let dir: string;
let server: UiServer | undefined;
let base = "";
let browser: Browser;
let page: Page;
/** The runs of `scores`, oldest first, one a level. */
const runs: string[] = [];
const shots = screenshotDir();

/** The last values the fixture logs in a run of `level`: what a chart's points must say. */
const last = (level: number) => ({ fitLoss: level / 10, checkLoss: level / 20, accuracy: 1 - level / 10 });

async function run(file: string, ...args: string[]): Promise<string> {
  const ran = await canal(["run", file, ...args], dir);
  expect(ran.status, ran.stdout + ran.stderr).toBe(0);
  return /^run (run-\S+): /m.exec(ran.stdout)?.[1] ?? "";
}

/** Each dot of the chart of `metric` under `scope`: its series, x, y and run. */
async function points(scope: string, metric: string) {
  const dots = page.locator(`${scope} figure[data-metric="${metric}"] circle.point`);
  const all = await dots.evaluateAll((nodes) =>
    nodes.map((n) => ({
      series: n.getAttribute("data-series"),
      x: Number(n.getAttribute("data-x")),
      y: Number(n.getAttribute("data-y")),
      run: n.getAttribute("data-run"),
      title: n.querySelector("title")?.textContent ?? "",
    })),
  );
  return all.sort((a, b) => (a.series ?? "").localeCompare(b.series ?? "") || a.x - b.x);
}

beforeAll(async () => {
  execFileSync(process.execPath, [join(repoRoot, "packages/server/ui/build.mjs")], { stdio: "inherit" });
  dir = makeProject({
    files: {
      "scores.ts": readFileSync(join(fixtures, "scores.ts"), "utf8"),
      "quiet.ts": readFileSync(join(fixtures, "quiet.ts"), "utf8"),
    },
  });
  expect((await canal(["init", "."], dir)).status).toBe(0);
  for (const level of LEVELS) runs.push(await run("scores.ts", "-p", `level=${level}`));
  expect(runs.every((id) => id.startsWith("run-"))).toBe(true);
  await run("quiet.ts");
  server = await startUi(dir);
  base = server.base;
  browser = await launchChromium();
  page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  await page.goto(server.link);
  await page.waitForSelector("body[data-page=runs]");
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await stopServer(server?.process);
});

describe("metric charts across runs in Chromium", () => {
  it("charts each metric of a pipeline's runs on its runs page, a line per step; a point opens its run", async () => {
    await page.goto(`${base}/?pipeline=scores`);
    await page.waitForSelector("#metric-charts[data-state=loaded]");
    const names = await page
      .locator("#metric-charts figure")
      .evaluateAll((f) => f.map((n) => n.getAttribute("data-metric")));
    expect(names).toEqual(["accuracy", "loss"]);
    // Oldest run on the left; each point is the run's last value of the metric, not an earlier one.
    expect(await points("#metric-charts", "loss")).toEqual([
      ...LEVELS.map((level, x) => ({
        series: "check",
        x,
        y: last(level).checkLoss,
        run: runs[x],
        title: `${runs[x]} check: loss = ${last(level).checkLoss}`,
      })),
      ...LEVELS.map((level, x) => ({
        series: "fit",
        x,
        y: last(level).fitLoss,
        run: runs[x],
        title: `${runs[x]} fit: loss = ${last(level).fitLoss}`,
      })),
    ]);
    expect((await points("#metric-charts", "accuracy")).map((p) => [p.series, p.x, p.y, p.run])).toEqual(
      LEVELS.map((level, x) => ["fit", x, last(level).accuracy, runs[x]]),
    );
    const loss = page.locator('#metric-charts figure[data-metric="loss"]');
    expect(await loss.locator("g.series polyline").count()).toBe(2);
    expect(await loss.locator(".legend li").allTextContents()).toEqual(
      expect.arrayContaining(["fit", "check"]),
    );
    // Each series in its colour: its line, its dots and its mark in the legend alike.
    const colours = await loss.evaluate((figure) => {
      // The page's window (the tests' types have no DOM globals).
      const view = figure.ownerDocument.defaultView;
      if (!view) throw new Error("the chart is in no window");
      const style = (selector: string, property: "stroke" | "fill" | "color") =>
        [...figure.querySelectorAll(selector)].map((node) => view.getComputedStyle(node)[property]);
      return {
        lines: style("g.series polyline", "stroke"),
        dots: style("g.series circle.point:first-of-type", "fill"),
        legend: style(".legend li", "color"),
      };
    });
    expect(colours.lines).toEqual(["rgb(47, 111, 222)", "rgb(208, 52, 44)"]);
    expect(colours.dots).toEqual(colours.lines);
    expect(colours.legend).toEqual(colours.lines);
    await page.screenshot({ path: join(shots, "runs-metric-charts.png"), fullPage: true });

    await loss.locator(`circle[data-series="fit"][data-run="${runs[1]}"]`).click();
    await page.waitForURL(`${base}/runs/${runs[1]}`);
    await page.waitForSelector("body[data-ready=run]");
    // From the keyboard: a point focused, Enter opens its run.
    await page.goBack();
    await page.waitForSelector("#metric-charts[data-state=loaded]");
    await page.focus(`#metric-charts figure[data-metric="accuracy"] circle[data-run="${runs[2]}"]`);
    await page.keyboard.press("Enter");
    await page.waitForURL(`${base}/runs/${runs[2]}`);
  });

  it("reads a pipeline's metrics once while its runs are paged or filtered, and again for another pipeline", async () => {
    const asked: string[] = [];
    const count = (request: { url(): string }) => {
      if (new URL(request.url()).pathname === "/api/v1/metrics") asked.push(request.url());
    };
    page.on("request", count);
    try {
      await page.goto(`${base}/?pipeline=scores&limit=2`);
      await page.waitForSelector("#metric-charts[data-state=loaded]");
      expect(asked).toHaveLength(1);
      // The next page of runs, then another status: the same charts, from what was read.
      await page.click("nav.pager a:has-text('Older')");
      await page.waitForURL(/cursor=/);
      await page.waitForSelector("#metric-charts[data-state=loaded] figure");
      await page.selectOption("select[name=status]", "succeeded");
      await page.waitForURL(/status=succeeded/);
      await page.waitForSelector("#metric-charts[data-state=loaded] figure");
      expect(asked).toHaveLength(1);
      await page.selectOption("select[name=pipeline]", "quiet");
      await page.waitForURL(/pipeline=quiet/);
      await page.waitForSelector("#metric-charts[data-state=loaded]", { state: "attached" });
      expect(asked).toHaveLength(2);
    } finally {
      page.off("request", count);
    }
  });

  it("draws no chart for a pipeline that logged no metric, and shows why the metrics could not be read", async () => {
    await page.goto(`${base}/?pipeline=quiet`);
    // Empty, the section is not visible: waited for as there.
    await page.waitForSelector("#metric-charts[data-state=loaded]", { state: "attached" });
    expect(await page.locator("tbody tr").count()).toBe(1);
    expect(await page.locator("#metric-charts *").count()).toBe(0);

    await page.goto(`${base}/?pipeline=nowhere`);
    await page.waitForSelector("#metric-charts[data-state=failed]");
    expect(await page.textContent('#metric-charts [role="alert"]')).toContain("no pipeline `nowhere`");
  });

  it("compares three runs ticked in the list: parameters, metrics, steps and a chart across them", async () => {
    await page.goto(`${base}/?pipeline=scores`);
    await page.waitForSelector("#metric-charts[data-state=loaded]");
    const order = [runs[2], runs[0], runs[1]] as string[];
    for (const id of order) await page.check(`[aria-label="compare ${id}"]`);
    await page.click("#compare");
    await page.waitForSelector("#compare-steps");
    expect(new URL(page.url()).searchParams.get("runs")).toBe(order.join(","));
    const heads = await page
      .locator("#compare-runs th[data-run]")
      .evaluateAll((t) => t.map((n) => n.getAttribute("data-run")));
    expect(heads).toEqual(order);
    const levels = order.map((id) => LEVELS[runs.indexOf(id)] as number);
    const level = page.locator('#compare-parameters [data-parameter="level"]');
    expect(await level.getAttribute("class")).toBe("differs");
    expect(await level.locator("td").allTextContents()).toEqual(levels.map(String));
    const fitLoss = page.locator('#compare-metrics tr[data-step="fit"][data-metric="loss"]');
    expect((await fitLoss.locator("td code").allTextContents()).map(Number)).toEqual(
      levels.map((l) => last(l).fitLoss),
    );
    const fit = page.locator('#compare-steps tr[data-step="fit"]');
    expect(await fit.locator('[data-status="succeeded"]').count()).toBe(3);
    expect(await fit.locator("td").last().textContent()).toBe("differs");
    // The chart's x follows the columns.
    expect((await points("#compare-charts", "loss")).filter((p) => p.series === "fit")).toEqual(
      order.map((id, x) => ({
        series: "fit",
        x,
        y: last(levels[x] as number).fitLoss,
        run: id,
        title: `${id} fit: loss = ${last(levels[x] as number).fitLoss}`,
      })),
    );
    await page.screenshot({ path: join(shots, "compare-three-runs.png"), fullPage: true });
  });

  it("keeps the two-run address, with the changed code files", async () => {
    await page.goto(`${base}/compare?a=${runs[0]}&b=${runs[1]}`);
    await page.waitForSelector("#compare-steps");
    const heads = await page
      .locator("#compare-runs th[data-run]")
      .evaluateAll((t) => t.map((n) => n.getAttribute("data-run")));
    expect(heads).toEqual([runs[0], runs[1]]);
    expect(await page.textContent("#compare-steps")).toContain("Changed code files");
    expect(await page.locator('#compare-charts figure[data-metric="loss"] circle.point').count()).toBe(4);
  });

  it("names the run a comparison asks for that is not there", async () => {
    await page.goto(`${base}/compare?runs=${runs[0]},run-nowhere,${runs[1]}`);
    const alert = page.locator('main [role="alert"]');
    await alert.waitFor();
    expect(await alert.textContent()).toContain("run-nowhere");
    expect(await alert.textContent()).toContain("no run `run-nowhere`");
    expect(await page.locator("#compare-steps").count()).toBe(0);
  });
});
