/**
 * An in-process runtime and in-memory stores for testing the orchestrator (or anything built on
 * it) without processes: each step is a function, each run takes milliseconds.
 *
 * @example
 * ```ts
 * import { TestBed, testPipeline, testStep, types } from "@canal/runtime-core/testing";
 * const bed = new TestBed();
 * const { summary } = await bed.run(testPipeline([testStep("one", {}, { n: types.number })]), {
 *   steps: { one: () => ({ values: { n: 1 } }) },
 * });
 * ```
 */
export { testSnapshot, writeTestArtifact } from "./artifact.js";
export type { MemoryRuntimeOptions, StepCall, StepFunction, StepReturn } from "./memory-runtime.js";
export { MemoryRuntime, StepFailure, StepTimedOut } from "./memory-runtime.js";
export { MemoryBlobs, MemoryCache, MemoryClaims } from "./memory-store.js";
export {
  collect,
  fromOutput,
  item,
  literal,
  parameter,
  TestBed,
  testPipeline,
  testStep,
  types,
} from "./pipelines.js";
