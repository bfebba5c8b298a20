import type { RunEvent } from "@canal/runtime-core";
import { describe, expect, it } from "vitest";
import { cancellation } from "./cancel-signals.js";
import { Progress } from "./progress.js";

const base = (key: string) => ({ key, step: key, index: -1, time: 0 });
const queued = (key: string): RunEvent => ({ type: "step-queued", ...base(key) });
const cached = (key: string): RunEvent => ({
  type: "step-cached",
  ...base(key),
  cacheKey: "k",
  inputs: {},
  outputs: {},
});
const started = (key: string): RunEvent => ({ type: "step-started", ...base(key), attempt: 1 });

/** A Progress whose writes are kept, one entry per write. */
function shown(tty: boolean) {
  const writes: string[] = [];
  return { writes, progress: new Progress((text) => writes.push(text), tty) };
}

const CLEAR = "\r\x1b[2K";
/** The writes with the status line's elapsed time as T. */
const untimed = (writes: string[]) => writes.map((text) => text.replace(/\d+\.\ds$/, "T"));

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

// The store hands over a batch's events together: a no-op re-run's 1,000 at once. What one turn
// shows is one write, with the same lines as a write each would give.
describe("Progress", () => {
  it("writes the lines of a turn's events at once, as they were", async () => {
    const { writes, progress } = shown(false);
    for (const key of ["a", "b", "c"]) progress.on(queued(key));
    for (const key of ["a", "b", "c"]) progress.on(cached(key));
    expect(writes).toEqual([]);
    await nextTurn();
    expect(writes).toEqual(["a: cached\nb: cached\nc: cached\n"]);

    progress.on(started("d"));
    await nextTurn();
    progress.finish();
    expect(writes).toEqual(["a: cached\nb: cached\nc: cached\n", "d: started\n"]);
  });

  it("on a terminal, draws the status line once below a turn's lines, and clears it at the end", async () => {
    const { writes, progress } = shown(true);
    for (const key of ["a", "b"]) progress.on(queued(key));
    await nextTurn();
    expect(untimed(writes)).toEqual([`${CLEAR}[0/2 done, 0 cached, 0 running] T`]);

    for (const key of ["a", "b"]) progress.on(cached(key));
    await nextTurn();
    expect(untimed(writes).slice(1)).toEqual([
      `${CLEAR}a: cached\nb: cached\n${CLEAR}[2/2 done, 2 cached, 0 running] T`,
    ]);

    progress.finish();
    expect(writes.slice(2)).toEqual([CLEAR]);
  });

  it("writes what is left when the run ends within the same turn", () => {
    const { writes, progress } = shown(true);
    progress.on(queued("a"));
    progress.on(cached("a"));
    progress.finish();
    expect(writes).toEqual(["a: cached\n"]);
  });
});

describe("Progress beside other output", () => {
  it("writes a turn's pending lines and takes the status line off before a notice, and draws it again after", async () => {
    const { writes, progress } = shown(true);
    progress.on(queued("a"));
    progress.on(queued("b"));
    await nextTurn();
    progress.on(cached("a"));
    progress.aside(() => writes.push("NOTICE\n"));
    expect(untimed(writes).slice(1)).toEqual([`${CLEAR}a: cached\n`, "NOTICE\n"]);
    await nextTurn();
    expect(untimed(writes).slice(3)).toEqual([`${CLEAR}[1/2 done, 1 cached, 0 running] T`]);
    // With no line pending, the status line alone is taken off.
    progress.aside(() => writes.push("AGAIN\n"));
    expect(writes.slice(4)).toEqual([CLEAR, "AGAIN\n"]);
  });

  it("a notice from a canceled run comes after the lines of the turn that saw the cancel", () => {
    const said: string[] = [];
    const progress = new Progress((text) => said.push(`out:${text}`), false);
    const io = {
      stdout: (text: string) => said.push(`out:${text}`),
      stderr: (text: string) => said.push(`err:${text}`),
      cwd: "/",
    };
    const canceled = cancellation("run", io, progress, "run-1");
    try {
      progress.on(queued("a"));
      progress.on(cached("a"));
      canceled.onCancelRequest({ at: 0, by: "ana@h2" });
      expect(said).toEqual([
        "out:a: cached\n",
        "err:\ncanal run: run run-1 was canceled from elsewhere (`canal cancel` by ana@h2); ending its steps\n",
      ]);
    } finally {
      canceled.dispose();
    }
  });
});
