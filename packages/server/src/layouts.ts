// The layouts of pipeline versions' graphs, made on the server so that a browser opening a run
// page need not compile ELK's code (most of a first layout's time, a second or more for a large
// graph) before it can draw. A version's graph with its fan-outs collapsed is a pure function of
// its IR, so it is laid out once per content digest and kept (a bounded number, the latest used).
// ELK runs in one worker thread, kept for the server's life and warmed as it starts: a layout in
// a thread that has laid graphs out before takes a fraction of the first one's time, and never
// holds up the server's own event loop.
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type { ElkNode } from "elkjs/lib/elk-api.js";
import {
  compactLayout,
  elkGraph,
  type GraphLayout,
  graphShape,
  type IrStep,
  LAYOUT_REVISION,
  warmUpSteps,
} from "./graph-shape.js";

/** How many versions' layouts are kept by default. */
export const LAYOUTS_KEPT = 64;

// The worker as code, not as a file of this package: it runs the same from the TypeScript sources,
// from dist/ and from the CLI's bundle. ELK's bundled build lays out in the thread it is loaded in.
const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const ELK = require(workerData.elk);
const elk = new ELK();
parentPort.on("message", ({ id, graph }) =>
  elk.layout(graph).then(
    (layout) => parentPort.postMessage({ id, layout }),
    (error) => parentPort.postMessage({ id, error: String((error && error.message) || error) }),
  ),
);`;

export class Layouts {
  readonly #kept = new Map<string, Promise<GraphLayout>>();
  readonly #limit: number;
  #worker: Worker | undefined;
  #next = 0;
  /** Whether a version's layout has been asked for. */
  #asked = false;
  readonly #waiting = new Map<number, { resolve: (l: ElkNode) => void; reject: (e: Error) => void }>();

  constructor(options: { kept?: number } = {}) {
    this.#limit = options.kept ?? LAYOUTS_KEPT;
  }

  /**
   * Starts the worker and lays out made-up graphs in it, a small one and a large one (a thousand
   * steps: V8 optimises ELK's code further with the size of what it lays out), so that the first
   * version asked for finds ELK's code compiled. A few seconds of one core, while nobody waits.
   */
  async warm(): Promise<void> {
    // A version asked for meanwhile ends the warm-up: it warms the worker as well, and waits for
    // no made-up graph but the one being laid out.
    for (const [n, width] of [
      [60, 6],
      [1000, 40],
    ] as const) {
      if (this.#asked) return;
      await this.#layout(elkGraph(graphShape(warmUpSteps(n, width))));
    }
  }

  /** The layout of a version's graph with every fan-out collapsed; `digest` names its IR's content. */
  of(digest: string, irSteps: () => IrStep[]): Promise<GraphLayout> {
    const key = `${LAYOUT_REVISION}:${digest}`;
    const kept = this.#kept.get(key);
    if (kept) {
      // The latest used is kept longest: a Map iterates in insertion order.
      this.#kept.delete(key);
      this.#kept.set(key, kept);
      return kept;
    }
    this.#asked = true;
    const made = this.#layout(elkGraph(graphShape(irSteps()))).then(compactLayout);
    this.#kept.set(key, made);
    // A failure is not kept: the next ask tries again.
    made.catch(() => this.#kept.get(key) === made && this.#kept.delete(key));
    while (this.#kept.size > this.#limit) this.#kept.delete(this.#kept.keys().next().value as string);
    return made;
  }

  /** Ends the worker; layouts asked for after are made by a new one. */
  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    await worker?.terminate();
  }

  #layout(graph: ElkNode): Promise<ElkNode> {
    const worker = this.#start();
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ id, graph });
    });
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const elk = createRequire(import.meta.url).resolve("elkjs/lib/elk.bundled.js");
    const worker = new Worker(WORKER, { eval: true, workerData: { elk } });
    // An idle worker never keeps the process alive.
    worker.unref();
    const fail = (error: Error) => {
      if (this.#worker === worker) this.#worker = undefined;
      for (const [id, waiting] of this.#waiting) {
        this.#waiting.delete(id);
        waiting.reject(error);
      }
    };
    worker.on("message", (m: { id: number; layout?: ElkNode; error?: string }) => {
      const waiting = this.#waiting.get(m.id);
      this.#waiting.delete(m.id);
      if (this.#waiting.size === 0) worker.unref();
      if (m.layout) waiting?.resolve(m.layout);
      else waiting?.reject(new Error(`ELK could not lay the graph out: ${m.error}`));
    });
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`the layout worker ended (exit code ${code})`)));
    this.#worker = worker;
    return worker;
  }
}
