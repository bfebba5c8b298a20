// The metadata store's conformance suite (metadata-store.ts), its cases on what `canal serve` keeps: endpoint versions, API tokens, schedules.
import type { MetadataStore } from "@canal/store";
import { beforeEach, describe, expect, it } from "vitest";
import { type ConformanceUse, d, type MetadataStoreFixture } from "./metadata-store-context.js";

export function serviceCases(use: ConformanceUse): void {
  let store: MetadataStore;
  let fixture: MetadataStoreFixture;

  describe("services", () => {
    beforeEach(() => {
      store = use.store();
      fixture = use.fixture();
    });

    it("publishes endpoint versions, numbered per endpoint, and keeps their pipeline versions referenced", async () => {
      const v1 = await store.registerPipelineVersion({ pipeline: "iris", hash: "h1", ir: "{}" });
      const v2 = await store.registerPipelineVersion({ pipeline: "iris", hash: "h2", ir: "{}" });
      const first = await store.publishEndpoint({
        endpoint: "score",
        pipelineVersionId: v1.id,
        publishedBy: "ana",
      });
      expect(first).toMatchObject({ name: "score", defaultVersion: 1 });
      expect(first.versions).toMatchObject([
        { version: 1, pipeline: "iris", pipelineHash: "h1", publishedBy: "ana" },
      ]);
      const second = await store.publishEndpoint({ endpoint: "score", pipelineVersionId: v2.id });
      expect(second.defaultVersion).toBe(1);
      expect(second.versions.map((v) => v.version)).toEqual([1, 2]);
      const third = await store.publishEndpoint({
        endpoint: "score",
        pipelineVersionId: v2.id,
        makeDefault: true,
      });
      expect(third.defaultVersion).toBe(3);
      expect((await store.setDefaultVersion("score", 2))?.defaultVersion).toBe(2);
      expect(await store.setDefaultVersion("score", 9)).toBeUndefined();
      expect((await store.getEndpoint("score"))?.defaultVersion).toBe(2);
      await store.publishEndpoint({ endpoint: "other", pipelineVersionId: v1.id });
      expect((await store.listEndpoints()).map((e) => [e.name, e.versions.length])).toEqual([
        ["other", 1],
        ["score", 3],
      ]);
      expect(await store.getEndpoint("nope")).toBeUndefined();
      await expect(store.publishEndpoint({ endpoint: "x", pipelineVersionId: 987654 })).rejects.toMatchObject(
        {
          code: "CANAL_STORE_PIPELINE_VERSION_NOT_FOUND",
        },
      );
      // No run ran these versions, yet `canal gc` must keep their artifacts: an endpoint publishes them.
      const refs = await store.references();
      expect(
        refs.pipelineVersions
          .filter((v) => v.hasRuns)
          .map((v) => v.hash)
          .sort(),
      ).toEqual(["h1", "h2"]);
      const other = await fixture.open("elsewhere");
      expect(await other.listEndpoints()).toEqual([]);
      await other.close();
    });

    it("keeps API tokens by hash: found until revoked, listed without secrets, per workspace", async () => {
      const token = await store.createToken({
        id: "tok-000000000001",
        hash: d("a"),
        role: "launcher",
        endpoint: "score",
        name: "ci",
        createdBy: "ana",
      });
      expect(token).toMatchObject({
        id: "tok-000000000001",
        role: "launcher",
        endpoint: "score",
        name: "ci",
      });
      expect(JSON.stringify(token)).not.toContain(d("a"));
      expect(await store.findToken(d("a"))).toMatchObject({ id: token.id, role: "launcher" });
      expect(await store.findToken(d("b"))).toBeUndefined();
      const other = await fixture.open("elsewhere");
      expect(await other.findToken(d("a"))).toBeUndefined();
      await other.close();
      const revoked = await store.revokeToken(token.id);
      expect(revoked?.revokedAt).toBeGreaterThan(0);
      expect(await store.findToken(d("a"))).toBeUndefined();
      expect(await store.revokeToken("tok-ffffffffffff")).toBeUndefined();
      expect((await store.listTokens()).map((t) => [t.id, t.revokedAt !== undefined])).toEqual([
        [token.id, true],
      ]);
    });

    describe("schedules", () => {
      const cron = { endpoint: "score", kind: "cron" as const, cron: "0 3 * * *", timezone: "Europe/Madrid" };

      it("keeps schedules by name per workspace, edits them with a new revision, deletes them with their ticks", async () => {
        const made = await store.createSchedule({
          ...cron,
          name: "nightly",
          catchUp: "latest",
          parameters: { count: 3 },
          experiment: "nightly",
          createdBy: "ana",
          createdAt: 1_000,
        });
        expect(made).toMatchObject({
          name: "nightly",
          endpoint: "score",
          kind: "cron",
          cron: "0 3 * * *",
          timezone: "Europe/Madrid",
          catchUp: "latest",
          parameters: { count: 3 },
          experiment: "nightly",
          paused: false,
          anchorAt: 1_000,
          cursorAt: 1_000,
          revision: 1,
          createdBy: "ana",
        });
        await expect(store.createSchedule({ ...cron, name: "nightly" })).rejects.toMatchObject({
          code: "CANAL_STORE_SCHEDULE_EXISTS",
        });
        const data = await store.createSchedule({
          name: "on-drop",
          endpoint: "score",
          kind: "data",
          datastore: "raw",
          path: "in/**",
          debounceMs: 60_000,
          pathsParam: "changed",
          state: "{}",
        });
        expect(data).toMatchObject({
          kind: "data",
          datastore: "raw",
          path: "in/**",
          debounceMs: 60_000,
          catchUp: "none",
        });
        expect((await store.listSchedules()).map((s) => s.name)).toEqual(["nightly", "on-drop"]);
        const other = await fixture.open("elsewhere");
        expect(await other.listSchedules()).toEqual([]);
        expect(await other.getSchedule("nightly")).toBeUndefined();
        // Another workspace cannot claim a tick of this one's schedule.
        expect(
          await other.claimTick({ scheduleId: made.id, scheduledAt: 5, status: "claimed" }),
        ).toBeUndefined();
        await other.close();

        const edited = await store.updateSchedule("nightly", {
          cron: "0 4 * * *",
          paused: true,
          experiment: null,
          reanchorAt: 9_000,
          at: 9_000,
        });
        expect(edited).toMatchObject({
          cron: "0 4 * * *",
          paused: true,
          anchorAt: 9_000,
          cursorAt: 9_000,
          revision: 2,
        });
        expect(edited?.experiment).toBeUndefined();
        expect(await store.updateSchedule("nope", { paused: true })).toBeUndefined();

        await store.claimTick({ scheduleId: made.id, scheduledAt: 10_000, status: "missed", reason: "down" });
        expect(await store.deleteSchedule("nightly")).toBe(true);
        expect(await store.deleteSchedule("nightly")).toBe(false);
        expect(await store.listTicks(made.id)).toEqual([]);
        expect((await store.listSchedules()).map((s) => s.name)).toEqual(["on-drop"]);
      });

      it("records a slot's tick once: a second claim of the slot, from any connection, gets nothing", async () => {
        const schedule = await store.createSchedule({ ...cron, name: "nightly" });
        const claimed = await store.claimTick({
          scheduleId: schedule.id,
          scheduledAt: 3_600_000,
          status: "claimed",
          host: "a",
          pid: 1,
          at: 3_600_010,
        });
        expect(claimed).toMatchObject({
          scheduledAt: 3_600_000,
          status: "claimed",
          host: "a",
          pid: 1,
          claimedAt: 3_600_010,
        });
        expect(claimed?.endedAt).toBeUndefined();
        const elsewhere = await fixture.open("team");
        expect(
          await elsewhere.claimTick({ scheduleId: schedule.id, scheduledAt: 3_600_000, status: "claimed" }),
        ).toBeUndefined();
        const fired = await elsewhere.finishTick((claimed as { id: number }).id, {
          status: "fired",
          runId: "run-x",
          at: 3_600_020,
        });
        expect(fired).toMatchObject({ status: "fired", runId: "run-x", endedAt: 3_600_020 });
        await elsewhere.close();
        await store.claimTick({
          scheduleId: schedule.id,
          scheduledAt: 7_200_000,
          status: "missed",
          reason: "no scheduler ran",
        });
        await store.claimTick({
          scheduleId: schedule.id,
          scheduledAt: 10_800_000,
          status: "claimed",
          paths: ["in/a.csv", "in/b.csv"],
        });
        const ticks = await store.listTicks(schedule.id);
        expect(ticks.map((t) => [t.scheduledAt, t.status])).toEqual([
          [10_800_000, "claimed"],
          [7_200_000, "missed"],
          [3_600_000, "fired"],
        ]);
        expect(ticks[0]?.paths).toEqual(["in/a.csv", "in/b.csv"]);
        expect(ticks[1]).toMatchObject({ reason: "no scheduler ran" });
        expect(ticks[1]?.endedAt).toBeGreaterThan(0);
        expect((await store.listTicks(schedule.id, { limit: 1 })).length).toBe(1);
      });

      it("gives a contended slot to exactly one of many concurrent claimers", async () => {
        const schedule = await store.createSchedule({ ...cron, name: "nightly" });
        const elsewhere = await fixture.open("team");
        const results = await Promise.all(
          [1, 2, 3, 4, 5, 6, 7, 8].map((i) =>
            (i % 2 ? elsewhere : store).claimTick({
              scheduleId: schedule.id,
              scheduledAt: 42_000,
              status: "claimed",
              host: `h${i}`,
            }),
          ),
        );
        expect(results.filter((r) => r !== undefined)).toHaveLength(1);
        expect(await store.listTicks(schedule.id)).toHaveLength(1);
        await elsewhere.close();
      });

      it("moves a schedule's cursor by compare-and-set: never back, and not past someone's change", async () => {
        const schedule = await store.createSchedule({ ...cron, name: "nightly", createdAt: 100 });
        expect(
          await store.advanceSchedule(schedule.id, schedule.revision, { cursorAt: 500, state: "s1" }),
        ).toBe(true);
        const moved = (await store.getSchedule("nightly")) as typeof schedule;
        expect(moved).toMatchObject({ cursorAt: 500, state: "s1", revision: 2, anchorAt: 100 });
        // A stale revision changes nothing.
        expect(await store.advanceSchedule(schedule.id, schedule.revision, { cursorAt: 900 })).toBe(false);
        expect(await store.advanceSchedule(schedule.id, moved.revision, { cursorAt: 300 })).toBe(true);
        expect((await store.getSchedule("nightly"))?.cursorAt).toBe(500);
        const paused = await store.updateSchedule("nightly", { paused: true });
        expect(await store.advanceSchedule(schedule.id, moved.revision + 1 - 1, { cursorAt: 800 })).toBe(
          false,
        );
        expect(paused?.revision).toBe(4);
      });
    });
  });
}
