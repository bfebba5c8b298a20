// The metadata store's conformance suite (metadata-store.ts), its cases on a cache lookup that
// claims the key where it has no entry (lookupOrClaimStep): what a run asks before a step it expects
// to miss, in place of a lookup and a claim.
import type { MetadataStore, StoredValue } from "@canal/store";
import { beforeEach, describe, expect, it } from "vitest";
import { type ConformanceUse, components, d, type MetadataStoreFixture } from "./metadata-store-context.js";

export function lookupClaimCases(use: ConformanceUse): void {
  let store: MetadataStore;
  let fixture: MetadataStoreFixture;
  const { newRun } = use;
  const claim = (run: { id: string }, ttlMs = 60_000) => ({ runId: run.id, host: "gpu-01", pid: 7, ttlMs });

  /** Run `run`'s step `step`, ended under `key` with `outputs` and its cache entry. */
  async function cached(run: { id: string }, key: string, outputs: Record<string, StoredValue>) {
    const stepRun = await store.createStepRun({ runId: run.id, stepId: "train" });
    await store.finishStepRun(stepRun.id, {
      status: "succeeded",
      cacheKey: key,
      components: components(),
      reusable: true,
      outputs,
    });
  }

  describe("lookup or claim", () => {
    beforeEach(() => {
      store = use.store();
      fixture = use.fixture();
    });

    it("claims a key with no entry, tells the next asker who holds it, and answers from its entry once there", async () => {
      const a = await newRun();
      const b = await newRun();
      const key = d("c");
      expect(await store.lookupOrClaimStep(key, claim(a))).toEqual({ claim: { won: true } });
      // Another machine's connection: the claim is a's, as claimStep says.
      const elsewhere = await fixture.open("team");
      expect(await elsewhere.lookupOrClaimStep(key, claim(b))).toEqual({
        claim: {
          won: false,
          holder: {
            runId: a.id,
            host: "gpu-01",
            pid: 7,
            claimedAt: expect.any(Number),
            expiresInMs: expect.any(Number),
          },
        },
      });
      expect(await elsewhere.claimStep(key, claim(b))).toMatchObject({ won: false, holder: { runId: a.id } });
      // a ends the step with its entry and lets go: the next asker finds the entry and claims nothing.
      const outputs = { model: { digest: d("a"), directory: false } };
      await cached(a, key, outputs);
      expect(await store.releaseStep(key, a.id)).toBe(true);
      expect(await elsewhere.lookupOrClaimStep(key, claim(b))).toEqual({ cached: outputs });
      expect(await store.claimStep(key, claim(a))).toEqual({ won: true });
      // An entry answers even while another run holds the key's claim.
      expect(await elsewhere.lookupOrClaimStep(key, claim(b))).toEqual({ cached: outputs });
      expect(await store.releaseStep(key, a.id)).toBe(true);
      await elsewhere.close();
      // Another workspace of the store has no entry under the key: the key is claimed there.
      const other = await fixture.open("other");
      expect(await other.lookupOrClaimStep(key, claim(b))).toEqual({ claim: { won: true } });
      await other.close();
      expect(await store.lookupOrClaimStep(key, claim(b))).toEqual({ cached: outputs });
    });

    it("takes over an expired claim on a key with no entry", async () => {
      const a = await newRun();
      const b = await newRun();
      const key = d("e");
      expect(await store.lookupOrClaimStep(key, claim(a, 1))).toEqual({ claim: { won: true } });
      // The claim expires almost at once (its driver died, say): b's next ask takes it.
      let taken = await store.lookupOrClaimStep(key, claim(b));
      while ("claim" in taken && !taken.claim.won) taken = await store.lookupOrClaimStep(key, claim(b));
      expect(taken).toEqual({ claim: { won: true } });
      expect(await store.claimStep(key, claim(a))).toMatchObject({ won: false, holder: { runId: b.id } });
    });

    it("gives a contended key with no entry to exactly one of many concurrent askers", async () => {
      const runs = await Promise.all([1, 2, 3, 4, 5, 6].map(() => newRun()));
      const elsewhere = await fixture.open("team");
      const key = d("8");
      const answers = await Promise.all(
        runs.map((run, i) => (i % 2 ? elsewhere : store).lookupOrClaimStep(key, claim(run))),
      );
      const claims = answers.map((answer) => ("claim" in answer ? answer.claim : undefined));
      const winners = runs.filter((_, i) => claims[i]?.won);
      expect(winners).toHaveLength(1);
      for (const result of claims) {
        expect(result).toBeDefined();
        if (result && !result.won) expect(result.holder.runId).toBe(winners[0]?.id);
      }
      await elsewhere.close();
    });
  });
}
