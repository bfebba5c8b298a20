import type { RunEvent } from "@canal/runtime-core";
import type { MetadataStore, StepRunEnd } from "@canal/store";

/**
 * Writes a run's events into the metadata store, in the order they happened. Events that arrive
 * together (a run's queued steps, steps finishing while a write is under way) are written in one
 * batch: one commit for many events instead of one each.
 */
export class RunRecorder {
  private pending: RunEvent[] = [];
  private inFlight: RunEvent[] = [];
  private writing: Promise<void> | undefined;
  private readonly stepRuns = new Map<string, number>();
  private failure: unknown;

  constructor(
    private readonly metadata: MetadataStore,
    private readonly runId: string,
  ) {}

  /** Records an event; resolves (never rejects) when it and everything before it are written. */
  record(event: RunEvent): Promise<void> {
    this.pending.push(event);
    this.writing ??= this.drain();
    return this.writing;
  }

  /** Waits for every write; throws the first write that failed. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.failure) throw this.failure;
  }

  /** Waits until a cache entry under `cacheKey` that an unwritten event makes is in the store. */
  async settledFor(cacheKey: string): Promise<void> {
    const makes = (event: RunEvent) =>
      event.type === "step-succeeded" && event.reusable && event.cacheKey === cacheKey;
    while (this.writing && (this.pending.some(makes) || this.inFlight.some(makes))) await this.writing;
  }

  private async drain(): Promise<void> {
    // The events emitted in this turn of the event loop join the first batch.
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        this.inFlight = batch;
        await this.metadata.batch(async () => {
          for (const event of batch) {
            try {
              await this.write(event);
            } catch (error) {
              this.failure ??= error;
            }
          }
        });
        this.inFlight = [];
      }
    } catch (error) {
      this.failure ??= error;
      this.pending = [];
      this.inFlight = [];
    } finally {
      this.writing = undefined;
    }
  }

  private async stepRun(event: RunEvent): Promise<number> {
    const known = this.stepRuns.get(event.key);
    if (known !== undefined) return known;
    const created = await this.metadata.createStepRun({
      runId: this.runId,
      stepId: event.step,
      instance: event.index,
    });
    this.stepRuns.set(event.key, created.id);
    return created.id;
  }

  private async finish(event: RunEvent, end: StepRunEnd): Promise<void> {
    await this.metadata.finishStepRun(await this.stepRun(event), { endedAt: event.time, ...end });
  }

  private async write(event: RunEvent): Promise<void> {
    switch (event.type) {
      case "step-queued":
        await this.stepRun(event);
        return;
      case "step-skipped":
        if (!this.stepRuns.has(event.key)) {
          const created = await this.metadata.createStepRun({
            runId: this.runId,
            stepId: event.step,
            instance: event.index,
            status: "skipped",
            error: event.reason,
            endedAt: event.time,
          });
          this.stepRuns.set(event.key, created.id);
        } else {
          await this.finish(event, { status: "skipped", error: event.reason });
        }
        return;
      case "step-started":
        await this.metadata.startAttempt(await this.stepRun(event), event.attempt, event.time);
        return;
      case "step-log":
        await this.metadata.appendLog(
          await this.stepRun(event),
          event.attempt,
          event.stream,
          event.text,
          event.time,
        );
        return;
      case "step-retrying":
        await this.metadata.finishAttempt(await this.stepRun(event), {
          number: event.attempt,
          status: "failed",
          error: event.error,
          endedAt: event.time,
        });
        return;
      case "step-cached":
        await this.finish(event, {
          status: "cached",
          cacheKey: event.cacheKey,
          inputs: event.inputs,
          outputs: event.outputs,
        });
        return;
      case "step-succeeded":
        await this.finish(event, {
          status: "succeeded",
          attempt: { number: event.attempt, status: "succeeded", exitCode: 0, endedAt: event.time },
          cacheKey: event.cacheKey,
          components: event.components,
          inputs: event.inputs,
          outputs: event.outputs,
          metrics: event.metrics.map((m) => ({ name: m.name, value: m.value, at: event.time })),
          reusable: event.reusable,
        });
        return;
      case "step-failed":
        await this.finish(event, {
          status: "failed",
          error: event.error,
          ...(event.attempt > 0
            ? {
                attempt: {
                  number: event.attempt,
                  status: "failed" as const,
                  error: event.error,
                  endedAt: event.time,
                },
              }
            : {}),
          ...(event.cacheKey ? { cacheKey: event.cacheKey } : {}),
          ...(event.components ? { components: event.components } : {}),
        });
        return;
      case "step-canceled":
        await this.finish(event, {
          status: "canceled",
          error: "the run was canceled",
          ...(event.attempt
            ? { attempt: { number: event.attempt, status: "canceled" as const, endedAt: event.time } }
            : {}),
        });
        return;
    }
  }
}
