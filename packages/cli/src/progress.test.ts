import type { RunEvent } from "@canal/runtime-core";
import { describe, expect, it } from "vitest";
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
