import type { RunEvent } from "@canal/runtime-core";

/**
 * Live progress of a run. On a terminal: one status line rewritten in place (done, cached, running,
 * failed, elapsed) with a line per finished step above it. Elsewhere: plain lines only.
 *
 * What the events of one turn of the event loop show is written at once, at the end of that turn:
 * the store hands over the events of a batch together (all 1,000 of a no-op re-run), and a write
 * each, with a status line redrawn after every line on a terminal, cost more than the rest of
 * showing them. The lines are the same; a terminal's status line is drawn once per turn.
 */
export class Progress {
  private readonly started = Date.now();
  private readonly stepStarted = new Map<string, number>();
  private total = 0;
  private done = 0;
  private cached = 0;
  private failed = 0;
  private running = new Set<string>();
  private statusShown = false;
  private stopping = false;
  /** The lines of this turn, not written yet, and whether the status line is to be drawn after them. */
  private pending = "";
  private statusWanted = false;
  private flushQueued = false;

  constructor(
    private readonly write: (text: string) => void,
    private readonly tty: boolean,
    private readonly echoLogs = false,
  ) {}

  private elapsed(since = this.started): string {
    return `${((Date.now() - since) / 1000).toFixed(1)}s`;
  }

  private line(text: string): void {
    this.pending += `${text}\n`;
    this.status();
    this.queueFlush();
  }

  private status(): void {
    if (!this.tty) return;
    this.statusWanted = true;
    this.queueFlush();
  }

  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => this.flush());
  }

  /** Writes this turn's lines, above the status line drawn anew when one is wanted, in one write. */
  private flush(): void {
    this.flushQueued = false;
    let text = "";
    if (this.pending) {
      if (this.statusShown) text += "\r\x1b[2K";
      text += this.pending;
      this.pending = "";
      this.statusShown = false;
    }
    if (this.statusWanted) {
      const running = [...this.running].slice(0, 3).join(", ") + (this.running.size > 3 ? ", …" : "");
      text += `\r\x1b[2K[${this.done}/${this.total} done, ${this.cached} cached, ${this.running.size} running${this.failed ? `, ${this.failed} failed` : ""}${this.stopping ? ", canceling" : ""}] ${this.elapsed()}${running ? `  ${running}` : ""}`;
      this.statusWanted = false;
      this.statusShown = true;
    }
    if (text) this.write(text);
  }

  on(event: RunEvent): void {
    switch (event.type) {
      case "step-queued":
        this.total++;
        this.status();
        return;
      case "step-started":
        this.running.add(event.key);
        if (!this.stepStarted.has(event.key)) this.stepStarted.set(event.key, event.time);
        if (!this.tty)
          this.line(`${event.key}: started${event.attempt > 1 ? ` (attempt ${event.attempt})` : ""}`);
        else this.status();
        return;
      case "step-log":
        if (this.echoLogs)
          for (const text of event.text.split(/(?<=\n)/))
            this.line(`  ${event.key} | ${text.replace(/\n$/, "")}`);
        return;
      case "step-waiting":
        this.line(
          `${event.key}: waiting for ${event.holder.runId} on ${event.holder.host}, which is executing it`,
        );
        return;
      case "step-cached":
        this.done++;
        this.cached++;
        this.line(
          `${event.key}: cached${event.waitedFor ? ` (waited for ${event.waitedFor.runId} on ${event.waitedFor.host})` : ""}`,
        );
        return;
      case "step-succeeded":
        this.done++;
        this.running.delete(event.key);
        this.line(`${event.key}: succeeded in ${this.elapsed(this.stepStarted.get(event.key))}`);
        return;
      case "step-retrying":
        this.line(
          `${event.key}: attempt ${event.attempt} failed, retrying in ${(event.delayMs / 1000).toFixed(1)}s: ${firstLine(event.error)}`,
        );
        return;
      case "step-failed":
        this.done++;
        this.failed++;
        this.running.delete(event.key);
        this.line(`${event.key}: FAILED: ${event.error}`);
        return;
      case "step-canceled":
        this.done++;
        this.running.delete(event.key);
        this.line(`${event.key}: canceled`);
        return;
      case "step-skipped":
        this.done++;
        this.line(`${event.key}: skipped (${event.reason})`);
        return;
    }
  }

  /** The run is being canceled: the status line says so until its steps have ended. */
  canceling(): void {
    this.stopping = true;
    this.status();
  }

  /**
   * Something else is shown now (a notice on stderr): this turn's lines first, so nothing of the
   * run's comes out after what is about to be said of it, and the status line taken off the screen;
   * it is drawn again below at the end of the turn.
   */
  aside(show: () => void): void {
    const redraw = this.statusShown || this.statusWanted;
    this.statusWanted = false;
    this.flush();
    if (this.statusShown) this.write("\r\x1b[2K");
    this.statusShown = false;
    show();
    if (redraw) this.status();
  }

  /**
   * The run has ended, or its driving failed: what is still to be shown is written, and the status
   * line cleared. Called again, it does nothing.
   */
  finish(): void {
    this.statusWanted = false;
    this.flush();
    if (this.statusShown) this.write("\r\x1b[2K");
    this.statusShown = false;
  }
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? "";
}
