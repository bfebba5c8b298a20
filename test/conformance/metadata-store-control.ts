// The metadata store's conformance suite (metadata-store.ts), its cases on run control: cancel requests, heartbeats, runtime keys, claims on cache keys.
import type { MetadataStore } from "@canal/store";
import { beforeEach, describe, expect, it } from "vitest";
import { type ConformanceUse, d, type MetadataStoreFixture } from "./metadata-store-context.js";

export function controlCases(use: ConformanceUse): void {
  let store: MetadataStore;
  let fixture: MetadataStoreFixture;
  const { newRun } = use;

  describe("run control", () => {
    beforeEach(() => {
      store = use.store();
      fixture = use.fixture();
    });

    it("records a cancel request once, for every connection and no other workspace to read", async () => {
      const run = await newRun();
      const quiet = await newRun("wine");
      expect(await store.readRunControl([run.id, quiet.id])).toEqual([]);
      const first = await store.requestCancel(run.id, { by: "ana@laptop", reason: "wrong data", at: 5000 });
      expect(first).toEqual({ at: 5000, by: "ana@laptop", reason: "wrong data" });
      // A second machine's connection to the same store reads it, and asking again keeps the first.
      const elsewhere = await fixture.open("team");
      expect(await elsewhere.requestCancel(run.id, { by: "bo@server", at: 6000 })).toEqual(first);
      expect(await elsewhere.readRunControl([run.id, quiet.id])).toEqual([{ runId: run.id, cancel: first }]);
      await elsewhere.close();
      expect(await store.requestCancel(quiet.id)).toEqual({ at: expect.any(Number) });
      await expect(store.requestCancel("run-nope")).rejects.toMatchObject({
        code: "CANAL_STORE_RUN_NOT_FOUND",
      });
      const other = await fixture.open("other");
      expect(await other.readRunControl([run.id])).toEqual([]);
      await expect(other.requestCancel(run.id)).rejects.toMatchObject({ code: "CANAL_STORE_RUN_NOT_FOUND" });
      await other.close();
    });

    it("writes a driver's heartbeat, replaces it with the next and reads how old it is", async () => {
      const run = await newRun();
      const at = Date.now() - 60_000;
      await store.recordHeartbeat(run.id, { host: "gpu-01", pid: 4242, intervalMs: 5000, at });
      const [read] = await store.readRunControl([run.id]);
      expect(read).toEqual({
        runId: run.id,
        heartbeat: { host: "gpu-01", pid: 4242, intervalMs: 5000, at, ageMs: expect.any(Number) },
      });
      expect(read?.heartbeat?.ageMs).toBeGreaterThanOrEqual(60_000);
      // The next beat replaces it, and a cancel request recorded since stays beside it.
      await store.requestCancel(run.id, { by: "ana@laptop", at: at + 1 });
      await store.recordHeartbeat(run.id, { host: "gpu-01", pid: 4242, intervalMs: 5000 });
      const [fresh] = await store.readRunControl([run.id]);
      expect(fresh?.heartbeat?.ageMs).toBeLessThan(60_000);
      expect(fresh?.heartbeat?.at).toBeGreaterThan(at);
      expect(fresh?.cancel).toEqual({ at: at + 1, by: "ana@laptop" });
      await expect(
        store.recordHeartbeat("run-nope", { host: "gpu-01", pid: 1, intervalMs: 5000 }),
      ).rejects.toMatchObject({ code: "CANAL_STORE_RUN_NOT_FOUND" });
      // Forgotten with its run.
      await store.updateRun(run.id, { status: "canceled", endedAt: Date.now() });
      expect(await store.deleteRuns([run.id])).toEqual([run.id]);
      expect(await store.readRunControl([run.id])).toEqual([]);
    });

    it("keeps a run's runtime key for every connection to read, the first one kept, until it is dropped", async () => {
      const run = await newRun();
      const key = "0123456789abcdef0123456789abcdef";
      expect(await store.readRunKey(run.id, "slurm")).toBeUndefined();
      expect(await store.keepRunKey(run.id, "slurm", key)).toBe(key);
      // A second target of the run keeps the first key: its jobs carry the same tag.
      expect(await store.keepRunKey(run.id, "slurm", "f".repeat(32))).toBe(key);
      expect(await store.readRunKey(run.id, "docker")).toBeUndefined();
      // Another checkout of the same store (a cancel from another machine) reads it, and drops it.
      const elsewhere = await fixture.open("team");
      expect(await elsewhere.readRunKey(run.id, "slurm")).toBe(key);
      await elsewhere.dropRunKey(run.id, "slurm");
      await elsewhere.dropRunKey(run.id, "slurm");
      await elsewhere.close();
      expect(await store.readRunKey(run.id, "slurm")).toBeUndefined();
      await expect(store.keepRunKey("run-nope", "slurm", key)).rejects.toMatchObject({
        code: "CANAL_STORE_RUN_NOT_FOUND",
      });
      // Another workspace of the store neither reads, keeps nor drops it.
      await store.keepRunKey(run.id, "slurm", key);
      const other = await fixture.open("other");
      expect(await other.readRunKey(run.id, "slurm")).toBeUndefined();
      await expect(other.keepRunKey(run.id, "slurm", key)).rejects.toMatchObject({
        code: "CANAL_STORE_RUN_NOT_FOUND",
      });
      await other.dropRunKey(run.id, "slurm");
      await other.close();
      expect(await store.readRunKey(run.id, "slurm")).toBe(key);
      // Forgotten with its run.
      await store.updateRun(run.id, { status: "canceled", endedAt: Date.now() });
      expect(await store.deleteRuns([run.id])).toEqual([run.id]);
      expect(await store.readRunKey(run.id, "slurm")).toBeUndefined();
    });

    it("lets one run claim a cache key: another loses and is told who holds it, until it is released", async () => {
      const a = await newRun();
      const b = await newRun();
      const key = d("c");
      const claimA = { runId: a.id, host: "gpu-01", pid: 4242, ttlMs: 60_000 };
      const claimB = { runId: b.id, host: "laptop", pid: 77, ttlMs: 60_000 };
      expect(await store.claimStep(key, claimA)).toEqual({ won: true });
      // A second machine's connection loses, and learns whose driver executes the step.
      const elsewhere = await fixture.open("team");
      const lost = await elsewhere.claimStep(key, claimB);
      expect(lost).toEqual({
        won: false,
        holder: {
          runId: a.id,
          host: "gpu-01",
          pid: 4242,
          claimedAt: expect.any(Number),
          expiresInMs: expect.any(Number),
        },
      });
      if (lost.won) throw new Error("unreachable");
      expect(lost.holder.expiresInMs).toBeGreaterThan(50_000);
      expect(lost.holder.expiresInMs).toBeLessThanOrEqual(60_000);
      // The holder's own second instance under the key loses too: it waits for the first.
      expect(await store.claimStep(key, claimA)).toMatchObject({ won: false, holder: { runId: a.id } });
      // Another key is free; another workspace's key of the same name is its own.
      expect(await elsewhere.claimStep(d("e"), claimB)).toEqual({ won: true });
      const other = await fixture.open("other");
      const theirs = await other.registerPipelineVersion({ pipeline: "iris", hash: "h", ir: "{}" });
      const run = await other.createRun({ pipelineVersionId: theirs.id, runtime: "local" });
      expect(await other.claimStep(key, { ...claimB, runId: run.id })).toEqual({ won: true });
      await other.close();
      // Releasing by a run that does not hold it changes nothing.
      expect(await elsewhere.releaseStep(key, b.id)).toBe(false);
      expect(await elsewhere.claimStep(key, claimB)).toMatchObject({ won: false, holder: { runId: a.id } });
      // Released by its holder (in a unit, as a step's end is recorded): the next claim wins.
      expect(await store.transaction((tx) => tx.releaseStep(key, a.id))).toBe(true);
      expect(await store.releaseStep(key, a.id)).toBe(false);
      expect(await elsewhere.claimStep(key, claimB)).toEqual({ won: true });
      expect(await store.claimStep(key, claimA)).toMatchObject({
        won: false,
        holder: { runId: b.id, host: "laptop", pid: 77 },
      });
      await elsewhere.close();
    });

    it("releases a run's claims on many keys at once, and leaves the claims of others", async () => {
      const a = await newRun();
      const b = await newRun();
      const claim = (run: { id: string }) => ({ runId: run.id, host: "gpu-01", pid: 1, ttlMs: 60_000 });
      const [k1, k2, k3] = [d("1"), d("2"), d("3")];
      expect(await store.claimStep(k1, claim(a))).toEqual({ won: true });
      expect(await store.claimStep(k2, claim(a))).toEqual({ won: true });
      expect(await store.claimStep(k3, claim(b))).toEqual({ won: true });
      const elsewhere = await fixture.open("elsewhere");
      // Another workspace's run of the same id holds nothing here.
      expect(await elsewhere.releaseSteps([k1, k2], a.id)).toBe(0);
      // A key named twice is released once; b's claim and a key nobody claimed stay as they are.
      expect(await store.transaction((tx) => tx.releaseSteps([k1, k2, k1, k3, d("4")], a.id))).toBe(2);
      expect(await store.claimStep(k1, claim(b))).toEqual({ won: true });
      expect(await store.claimStep(k2, claim(b))).toEqual({ won: true });
      expect(await store.claimStep(k3, claim(a))).toMatchObject({ won: false, holder: { runId: b.id } });
      expect(await store.releaseSteps([], b.id)).toBe(0);
      expect(await store.releaseSteps([k1, k2, k3], b.id)).toBe(3);
      expect(await store.claimStep(k3, claim(a))).toEqual({ won: true });
      await elsewhere.close();
    });

    it("hands an expired claim to the next claimer, and keeps a claim its driver's heartbeat renews", async () => {
      const a = await newRun();
      const b = await newRun();
      const key = d("f");
      // A claim that expires almost at once: its driver died, say.
      expect(await store.claimStep(key, { runId: a.id, host: "gpu-01", pid: 1, ttlMs: 1 })).toEqual({
        won: true,
      });
      let taken = await store.claimStep(key, { runId: b.id, host: "laptop", pid: 2, ttlMs: 60_000 });
      while (!taken.won)
        taken = await store.claimStep(key, { runId: b.id, host: "laptop", pid: 2, ttlMs: 60_000 });
      expect(await store.claimStep(key, { runId: a.id, host: "gpu-01", pid: 1, ttlMs: 1 })).toMatchObject({
        won: false,
        holder: { runId: b.id },
      });
      // The old holder's release is a no-op now: the claim is b's.
      expect(await store.releaseStep(key, a.id)).toBe(false);
      // Time passes; b's driver beats, and its claim has its whole time to live again.
      const left = async () => {
        const seen = await store.claimStep(key, { runId: a.id, host: "gpu-01", pid: 1, ttlMs: 1 });
        if (seen.won) throw new Error("b's claim expired");
        return seen.holder.expiresInMs;
      };
      const before = await left();
      while ((await left()) > before - 50) {
        // Wait for the store's clock to move on.
      }
      await store.recordHeartbeat(b.id, { host: "laptop", pid: 2, intervalMs: 5000 });
      expect(await left()).toBeGreaterThan(before - 50);
      // Forgotten with its run.
      await store.updateRun(b.id, { status: "canceled", endedAt: Date.now() });
      expect(await store.deleteRuns([b.id])).toEqual([b.id]);
      expect(await store.claimStep(key, { runId: a.id, host: "gpu-01", pid: 1, ttlMs: 60_000 })).toEqual({
        won: true,
      });
    });

    it("gives a contended key to exactly one of many concurrent claimers", async () => {
      const runs = await Promise.all([1, 2, 3, 4, 5, 6].map(() => newRun()));
      const elsewhere = await fixture.open("team");
      const key = d("9");
      const results = await Promise.all(
        runs.map((run, i) =>
          (i % 2 ? elsewhere : store).claimStep(key, { runId: run.id, host: `h${i}`, pid: i, ttlMs: 60_000 }),
        ),
      );
      const winners = runs.filter((_, i) => results[i]?.won);
      expect(winners).toHaveLength(1);
      for (const result of results) if (!result.won) expect(result.holder.runId).toBe(winners[0]?.id);
      await elsewhere.close();
    });
  });
}
