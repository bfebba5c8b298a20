// The web UI in a real browser (Debian's Chromium), served by `canal ui` as its own process over
// a workspace of the flagship example: the one-time sign-in link, the runs list with its pages, a
// run started from an endpoint's form followed live on its page (graph, step log), a comparison of
// two runs, a rerun from a step, and the schedules with their ticks.
import { execFileSync } from "node:child_process";
import { cpSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canal, registerIris } from "../canal.js";
import { copyIris, repoRoot, stopServer } from "../helpers.js";
import { launchChromium, screenshotDir } from "./chromium.mjs";
import { startUi, type UiServer } from "./ui-server.js";

function missingPython(): string | undefined {
  try {
    execFileSync("/usr/bin/python3", ["-c", "import sklearn, pandas"], { stdio: "pipe" });
    return undefined;
  } catch {
    return "/usr/bin/python3 cannot import sklearn and pandas (apt-get install python3-sklearn python3-pandas)";
  }
}
const missing = missingPython();

let dir: string;
let server: UiServer | undefined;
let base = "";
let link = "";
let browser: Browser;
let page: Page;
let firstRun = "";
let formRun = "";
const shots = screenshotDir();

beforeAll(async () => {
  if (missing) return;
  // The UI as the package builds it (the same script `prepack` runs).
  execFileSync(process.execPath, [join(repoRoot, "packages/server/ui/build.mjs")], { stdio: "inherit" });
  dir = copyIris();
  await registerIris(dir);
  const compiled = await canal(["compile", "pipeline.ts"], dir);
  expect(compiled.status, compiled.stderr).toBe(0);
  const published = await canal(["publish", "canal-out/iris", "--name", "iris"], dir);
  expect(published.status, published.stderr).toBe(0);
  const ran = await canal(["run", "pipeline.ts"], dir);
  expect(ran.status, ran.stdout + ran.stderr).toBe(0);
  firstRun = /^run (run-\S+): /m.exec(ran.stdout)?.[1] ?? "";
  server = await startUi(dir);
  ({ link, base } = server);
  browser = await launchChromium();
  page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await stopServer(server?.process);
});

/** The statuses a node of the run page's graph has shown, in order, as the page changed them. */
// (Page functions are given as text: they run in the page, whose globals the tests' types lack.)
async function watchNode(node: string): Promise<void> {
  await page.evaluate(`(() => {
    const seen = [];
    window.seen = seen;
    const look = () => {
      const status = document.querySelector('g.node[data-node="${node}"]')?.getAttribute("data-status");
      if (status && seen[seen.length - 1] !== status) seen.push(status);
    };
    look();
    new MutationObserver(look).observe(document.body, { subtree: true, attributes: true, childList: true });
  })()`);
}

// Waits go through selectors: the page's policy forbids evaluating text as script (no 'unsafe-eval').
const ended = () => page.waitForSelector("body[data-ended=true]", { timeout: 120_000 });
const logHas = (text: string) => page.locator("#step-log", { hasText: text }).waitFor({ timeout: 20_000 });

describe.skipIf(missing)(`the web UI in Chromium${missing ? ` [skipped: ${missing}]` : ""}`, () => {
  it("signs in with the one-time link once; the same link is refused the second time", async () => {
    expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/signin#[\w-]{43}$/);
    await page.goto(link);
    await page.waitForSelector("body[data-page=runs]");
    // The code has left the address bar, and the server's log never had it.
    expect(page.url()).toBe(`${base}/`);
    expect(server?.log()).toContain("POST /api/v1/signin 200");
    expect(server?.log()).not.toContain(new URL(link).hash.slice(1));
    await page.getByText("launcher", { exact: false }).first().waitFor();

    const other = await browser.newContext();
    const second = await other.newPage();
    await second.goto(link);
    await second.waitForSelector("#signin-status.error");
    expect(await second.textContent("#signin-status")).toContain("used already or has expired");
    expect((await second.request.get(`${base}/api/v1/runs`)).status()).toBe(401);
    await second.screenshot({ path: join(shots, "signin-refused.png") });
    await other.close();
  });

  it("starts a run from the endpoint's form and follows it live: the graph, a step's log, the end", async () => {
    await page.goto(`${base}/endpoints/iris`);
    await page.waitForSelector("form.start");
    await page.fill("#p-regularization", "[0.5, 2]");
    await page.fill("#p-seed", "11");
    await page.fill("#experiment", "from-the-ui");
    await page.click("#start");
    await page.waitForSelector("body[data-ready=run]");
    formRun = /\/runs\/(run-[^/?#]+)/.exec(page.url())?.[1] ?? "";
    expect(formRun).toMatch(/^run-/);
    // The graph drawn is the server's layout of the run's version: each node where it places it.
    expect(await page.getAttribute("svg.dag", "data-layout")).toBe("server");
    const { run } = (await (await page.request.get(`${base}/api/v1/runs/${formRun}`)).json()) as {
      run: { pipeline: string; pipelineVersion: number };
    };
    const served = (await (
      await page.request.get(
        `${base}/api/v1/pipelines/${run.pipeline}/versions/${run.pipelineVersion}/layout`,
      )
    ).json()) as { nodes: Array<{ id: string; x: number; y: number }> };
    expect(served.nodes.map((n) => n.id)).toContain("train");
    for (const node of served.nodes)
      expect(await page.getAttribute(`g.node[data-node="${node.id}"]`, "transform")).toBe(
        `translate(${node.x},${node.y})`,
      );
    const unknown = await page.request.get(
      `${base}/api/v1/pipelines/${run.pipeline}/versions/${run.pipelineVersion + 100}/layout`,
    );
    expect(unknown.status()).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe("CANAL_API_NOT_FOUND");
    await watchNode("score");
    // The last step's panel, opened before it has run: its log arrives without a reload.
    await page.click('g.node[data-node="score"]');
    await ended();
    await logHas("rows scored");
    const seen = (await page.evaluate("window.seen")) as string[];
    expect(seen[0]).not.toBe("succeeded");
    expect(seen[seen.length - 1]).toBe("succeeded");
    expect(await page.getAttribute('g.node[data-node="prepare"]', "data-status")).toBe("succeeded");
    // The fan-out is one node with its count until it is expanded.
    expect(await page.textContent('g.node[data-node="train"]')).toContain("train ×2");
    expect(await page.textContent("#cache-decision")).toContain("Ran");
    expect(await page.textContent(".run-header")).toContain("succeeded");
    await page.screenshot({ path: join(shots, "run-page.png"), fullPage: true });
    await page.click('g.node[data-node="train"]');
    await page.click("#expand");
    await page.waitForSelector('g.node[data-node="train[1]"]');
    // The server lays out the graph with its fan-outs collapsed; an expanded one is laid out here.
    expect(await page.getAttribute("svg.dag", "data-layout")).toBe("browser");
    await page.click('g.node[data-node="train[1]"]');
    await logHas("C=2");
    expect(await page.textContent(".metrics-table")).toContain("accuracy");
    await page.screenshot({ path: join(shots, "run-page-expanded.png"), fullPage: true });
  });

  it("lists the runs a page at a time, filtered", async () => {
    await page.goto(`${base}/?limit=1`);
    await page.waitForSelector("body[data-page=runs]");
    expect(await page.locator("tbody tr").count()).toBe(1);
    expect(await page.getAttribute("tbody tr", "data-run")).toBe(formRun);
    await page.click("text=Older");
    await page.waitForSelector(`tbody tr[data-run="${firstRun}"]`);
    await page.click("text=Newer");
    await page.waitForSelector(`tbody tr[data-run="${formRun}"]`);
    await page.goto(`${base}/?experiment=from-the-ui`);
    await page.waitForSelector(`tbody tr[data-run="${formRun}"]`);
    expect(await page.locator("tbody tr").count()).toBe(1);
    await page.selectOption("select[name=status]", "failed");
    await page.waitForSelector("text=No runs match.");
    await page.goto(`${base}/`);
    await page.waitForSelector(`tbody tr[data-run="${firstRun}"]`);
    await page.screenshot({ path: join(shots, "runs-list.png") });
  });

  it("compares two runs: parameters, metrics, steps", async () => {
    await page.goto(`${base}/`);
    await page.check(`[aria-label="compare ${firstRun}"]`);
    await page.check(`[aria-label="compare ${formRun}"]`);
    await page.click("#compare");
    await page.waitForSelector("#compare-steps");
    expect(await page.getAttribute('[data-parameter="regularization"]', "class")).toBe("differs");
    expect(await page.getAttribute('[data-parameter="testFraction"]', "class")).toBe("same");
    expect(await page.textContent("#compare-metrics")).toContain("accuracy");
    expect(await page.textContent('#compare-steps [data-step="prepare"]')).toContain("differs");
    await page.screenshot({ path: join(shots, "compare.png"), fullPage: true });
  });

  it("reruns from a step: the new run reuses the steps before it", async () => {
    await page.goto(`${base}/runs/${formRun}`);
    await page.waitForSelector("body[data-ready=run]");
    await page.click('g.node[data-node="score"]');
    await page.click("#rerun-from");
    await page.waitForURL((url) => /\/runs\/run-/.test(url.pathname) && !url.pathname.endsWith(formRun));
    await ended();
    await page.click('g.node[data-node="prepare"]');
    await page.locator("#cache-decision", { hasText: "Reused" }).waitFor();
    expect(await page.getAttribute('g.node[data-node="prepare"]', "data-status")).toBe("cached");
    expect(await page.getAttribute('g.node[data-node="score"]', "data-status")).toBe("succeeded");
  });

  it("shows the dataset the flagship registers, with the runs that registered it", async () => {
    await page.goto(`${base}/datasets`);
    await page.click('tr[data-dataset="iris-model"] a');
    await page.waitForSelector("body[data-page=dataset]");
    await page.click('a[href="/datasets/iris-model/1"]');
    await page.waitForSelector("body[data-page=dataset-version]");
    const uses = (await page.textContent(".uses")) ?? "";
    expect(uses).toContain(firstRun);
    expect(uses).toContain("registered it from output `best`");
    expect(await page.locator("table.files tr").count()).toBe(2);
    await page.screenshot({ path: join(shots, "dataset-version.png"), fullPage: true });
  });

  it("cancels a running run from its page", async () => {
    await page.goto(`${base}/endpoints/iris`);
    await page.waitForSelector("form.start");
    // Parameters no run had: nothing is cached, the run is still going when its page is up.
    await page.fill("#p-seed", "23");
    await page.fill("#experiment", "canceled-in-the-ui");
    await page.click("#start");
    await page.waitForSelector("body[data-ready=run]");
    await page.click("#cancel");
    await ended();
    await page.locator(".run-header .badge", { hasText: "canceled" }).waitFor();
    expect(await page.locator("#cancel").count()).toBe(0);
    await page.screenshot({ path: join(shots, "run-canceled.png"), fullPage: true });
  });

  it("lists the schedules, shows a per-second one's ticks with the runs they started, pauses it; charts a step's metric", async () => {
    cpSync(join(import.meta.dirname, "fixtures/stamp.ts"), join(dir, "stamp.ts"));
    const compiled = await canal(["compile", "stamp.ts"], dir);
    expect(compiled.status, compiled.stderr).toBe(0);
    const published = await canal(["publish", "canal-out/stamp", "--name", "stamp"], dir);
    expect(published.status, published.stderr).toBe(0);
    const made = await canal(
      ["schedules", "create", "stamp", "--cron", "* * * * * *", "--name", "every-second", "-p", "label=sec"],
      dir,
    );
    expect(made.status, made.stderr).toBe(0);
    try {
      await page.goto(`${base}/schedules`);
      const row = page.locator('tr[data-schedule="every-second"]');
      await row.waitFor();
      expect(await row.textContent()).toContain("* * * * * * (UTC)");
      expect(await row.locator("[data-state]").getAttribute("data-state")).toBe("active");
      await page.screenshot({ path: join(shots, "schedules.png"), fullPage: true });

      await row.locator('a[href="/schedules/every-second"]').click();
      await page.waitForSelector("body[data-page=schedule][data-ready]");
      // The page follows the ticks as the scheduler records them: one fired, with its run.
      const fired = page.locator('table.ticks tr:has([data-tick="fired"]) a[href^="/runs/"]').first();
      await fired.waitFor({ timeout: 60_000 });
      const runHref = (await fired.getAttribute("href")) as string;
      await page.screenshot({ path: join(shots, "schedule-ticks.png"), fullPage: true });

      await page.click("#pause");
      await page.waitForSelector("#resume");
      const shown = await page.request.get(`${base}/api/v1/schedules/every-second`);
      expect(((await shown.json()) as { schedule: { paused: boolean } }).schedule.paused).toBe(true);
      expect(await page.locator("[data-state]").getAttribute("data-state")).toBe("paused");

      // The run that tick started: its step logged `loss` four times, charted point for point.
      await page.goto(`${base}${runHref}`);
      await ended();
      await page.click('g.node[data-node="note"]');
      const line = page.locator('tr[data-metric="loss"] svg.chart polyline');
      await line.waitFor();
      expect(((await line.getAttribute("points")) ?? "").trim().split(" ")).toHaveLength(4);
      expect(await page.textContent('tr[data-metric="loss"] code')).toBe("0.2");
      await page.screenshot({ path: join(shots, "step-metric-chart.png"), fullPage: true });
    } finally {
      await canal(["schedules", "delete", "every-second"], dir);
    }
  });
});
