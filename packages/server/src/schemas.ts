// The request and answer shapes of the API, as zod schemas: requests are validated with them and
// the OpenAPI document (openapi.ts) is generated from the same schemas, so the two never disagree.
import { MAX_METRIC_RUNS } from "@canal/store";
import { z } from "zod";

export const RUN_STATUSES = ["queued", "running", "succeeded", "failed", "canceled"] as const;
export const STEP_STATUSES = [
  "queued",
  "running",
  "cached",
  "succeeded",
  "failed",
  "skipped",
  "canceled",
] as const;

const Problem = z.object({ path: z.string(), message: z.string(), hint: z.string().optional() });

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().meta({ description: "Stable: CANAL_API_… (docs/errors.md)" }),
      message: z.string(),
      problems: z.array(Problem),
    }),
  })
  .meta({ id: "Error" });

export const Run = z
  .object({
    id: z.string(),
    pipeline: z.string(),
    experiment: z.string(),
    pipelineVersionId: z.number().int(),
    pipelineVersion: z.number().int(),
    pipelineHash: z.string(),
    status: z.enum(RUN_STATUSES),
    parameters: z.record(z.string(), z.unknown()),
    runtime: z.string(),
    regenerate: z.boolean(),
    startedBy: z.string().optional(),
    host: z.string().optional(),
    error: z.string().optional(),
    createdAt: z.number(),
    startedAt: z.number().optional(),
    endedAt: z.number().optional(),
  })
  .meta({ id: "Run" });

export const StepRun = z
  .object({
    id: z.number().int(),
    runId: z.string(),
    stepId: z.string(),
    instance: z.number().int().meta({ description: "The fan-out iteration, -1 when not fanned out" }),
    status: z.enum(STEP_STATUSES),
    cacheKey: z.string().optional(),
    reusedFrom: z.object({ runId: z.string(), stepRunId: z.number().int() }).optional(),
    error: z.string().optional(),
    createdAt: z.number(),
    startedAt: z.number().optional(),
    endedAt: z.number().optional(),
  })
  .meta({ id: "StepRun" });

export const RunPage = z
  .object({
    runs: z.array(Run),
    next: z
      .string()
      .optional()
      .meta({ description: "Pass as `cursor` for the next page; absent on the last" }),
  })
  .meta({ id: "RunPage" });

export const RunState = z.object({
  status: z.enum([...RUN_STATUSES, "interrupted"]),
  interrupted: z.boolean().meta({ description: "Marked running, but its driver process is gone" }),
  reason: z.string().optional(),
  cancel: z.object({ at: z.number(), by: z.string().optional(), reason: z.string().optional() }).optional(),
});

export const RunDetail = z
  .object({ run: Run, state: RunState, steps: z.array(StepRun) })
  .meta({ id: "RunDetail" });

export const RunsQuery = z.object({
  cursor: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  pipeline: z.string().optional(),
  experiment: z.string().optional(),
  user: z.string().optional().meta({ description: "Runs started by this user" }),
  status: z.enum(RUN_STATUSES).optional(),
});

export const RunParams = z.object({ id: z.string() });

export const LogChunk = z.object({
  seq: z.number().int(),
  stream: z.enum(["stdout", "stderr"]),
  text: z.string(),
  at: z.number(),
});

export const LogPage = z
  .object({
    chunks: z.array(LogChunk),
    next: z.number().int().meta({ description: "Pass as `from` to read on" }),
    attempt: z.number().int().optional(),
  })
  .meta({ id: "LogPage" });

export const StepLogParams = z.object({ id: z.string(), step: z.string() });
export const LogQuery = z.object({
  instance: z.coerce.number().int().min(-1).default(-1),
  attempt: z.coerce.number().int().min(1).optional().meta({ description: "Default: the latest attempt" }),
  from: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
  stream: z.enum(["stdout", "stderr"]).optional(),
});
export const RunLogQuery = LogQuery.pick({ from: true, limit: true, stream: true });

export const Metric = z.object({
  name: z.string(),
  value: z.unknown(),
  stepId: z.string(),
  instance: z.number().int(),
  sequence: z.number().int(),
  at: z.number(),
});
export const Metrics = z.object({ metrics: z.array(Metric) }).meta({ id: "Metrics" });

export const RunsMetricsQuery = z
  .object({
    pipeline: z.string().min(1).optional().meta({ description: "The newest runs of this pipeline" }),
    runs: z
      .string()
      .optional()
      .meta({ description: `Or these runs: ids separated by commas, at most ${MAX_METRIC_RUNS}` }),
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(MAX_METRIC_RUNS)
      .default(50)
      .meta({ description: "With `pipeline`: how many of its newest runs" }),
    name: z.string().min(1).optional().meta({ description: "Only this metric" }),
    step: z.string().min(1).optional().meta({ description: "Only this step's metrics" }),
  })
  .superRefine((query, issues) => {
    if (query.pipeline !== undefined && query.runs !== undefined)
      issues.addIssue({
        code: "custom",
        path: ["runs"],
        message: "give `pipeline` or `runs`, not both",
      });
    if (query.pipeline === undefined && query.runs === undefined)
      issues.addIssue({
        code: "custom",
        path: ["pipeline"],
        message: "give `pipeline=NAME` (its newest runs) or `runs=ID,ID,…`",
      });
    const ids = query.runs === undefined ? [] : runIdList(query.runs);
    if (query.runs !== undefined && ids.length === 0)
      issues.addIssue({ code: "custom", path: ["runs"], message: "name at least one run id" });
    if (ids.length > MAX_METRIC_RUNS)
      issues.addIssue({
        code: "custom",
        path: ["runs"],
        message: `${ids.length} run ids, more than ${MAX_METRIC_RUNS}; ask for them in parts`,
      });
  });

/** The ids of a `runs=` list: comma-separated, blanks and repeats left out. */
export function runIdList(text: string): string[] {
  return [...new Set(text.split(",").map((id) => id.trim()))].filter((id) => id !== "");
}

export const RunsMetrics = z
  .object({
    runs: z.array(
      z.object({
        run: Run,
        metrics: z
          .array(Metric)
          .meta({ description: "The last value of each metric of each step instance, by step then name" }),
      }),
    ),
  })
  .meta({ id: "RunsMetrics", description: "Newest run first" });

export const Output = z.object({
  name: z.string(),
  kind: z.enum(["file", "directory", "files", "value"]),
  digest: z.string().optional(),
  size: z.number().optional(),
  value: z.unknown().optional(),
});
export const Outputs = z.object({ outputs: z.array(Output) }).meta({ id: "Outputs" });
export const OutputParams = z.object({ id: z.string(), name: z.string() });
export const OutputQuery = z.object({
  path: z.string().optional().meta({
    description: "A file inside a directory output (`sub/file.txt`), or an index of a list of files",
  }),
});
export const DirectoryListing = z
  .object({ name: z.string(), files: z.array(z.object({ path: z.string(), size: z.number() })) })
  .meta({ id: "DirectoryListing" });

export const CancelBody = z.object({ reason: z.string().max(1000).optional() }).strict();
export const CancelAnswer = z.object({ run: Run, outcome: z.string() }).meta({ id: "CancelAnswer" });

export const RerunBody = z.object({ from: z.string().optional() }).strict();
export const Started = z
  .object({ runId: z.string(), href: z.string(), events: z.string() })
  .meta({ id: "Started" });

export const Pipeline = z.object({
  name: z.string(),
  createdAt: z.number(),
  versions: z.number().int(),
  latestHash: z.string().optional(),
});
export const Pipelines = z.object({ pipelines: z.array(Pipeline) }).meta({ id: "Pipelines" });
export const PipelineVersion = z
  .object({
    pipeline: z.string(),
    version: z.number().int(),
    hash: z.string(),
    createdAt: z.number(),
    ir: z.unknown().optional().meta({ description: "The IR as JSON (detail only)" }),
  })
  .meta({ id: "PipelineVersion" });
export const PipelineVersions = z
  .object({ versions: z.array(PipelineVersion) })
  .meta({ id: "PipelineVersions" });
export const GraphLayout = z
  .object({
    revision: z
      .string()
      .meta({ description: "What the layout was made by; the UI lays out itself when it knows another" }),
    width: z.number(),
    height: z.number(),
    nodes: z.array(z.object({ id: z.string(), x: z.number(), y: z.number() })).meta({
      description: "Each step's node (a fan-out one node) by its top-left corner; every node 170 by 44",
    }),
    edges: z.array(z.object({ from: z.string(), to: z.string(), points: z.array(z.number()) })).meta({
      description: "Each edge's path: x, y of its start, its bend points and its end, one after another",
    }),
  })
  .meta({ id: "GraphLayout" });
export const PipelineParams = z.object({ name: z.string() });
export const PipelineVersionParams = z.object({ name: z.string(), version: z.coerce.number().int().min(1) });

export const Experiments = z
  .object({
    experiments: z.array(z.object({ name: z.string(), runs: z.number().int(), lastRunAt: z.number() })),
  })
  .meta({ id: "Experiments" });

export const Health = z.object({ ok: z.boolean(), version: z.string() }).meta({ id: "Health" });

export const SignInBody = z
  .object({
    code: z.string().max(200).optional().meta({ description: "The code of `canal ui`'s link" }),
    token: z
      .string()
      .max(200)
      .optional()
      .meta({ description: "An API token, for a browser of `canal serve`" }),
  })
  .strict();
export const SessionAnswer = z
  .object({ role: z.enum(["viewer", "launcher", "admin"]), name: z.string().optional() })
  .meta({ id: "Session" });

export const StepParams = z.object({ id: z.string(), step: z.string() });
export const StepFileParams = z.object({ id: z.string(), step: z.string(), name: z.string() });
export const StepQuery = z.object({
  instance: z.coerce.number().int().min(-1).default(-1).meta({ description: "The fan-out iteration" }),
});
const Attempt = z.object({
  stepRunId: z.number().int(),
  number: z.number().int(),
  status: z.string(),
  exitCode: z.number().int().optional(),
  error: z.string().optional(),
  startedAt: z.number(),
  endedAt: z.number().optional(),
});
export const StepDetail = z
  .object({
    step: StepRun,
    attempts: z.array(Attempt),
    inputs: z.array(Output),
    outputs: z.array(Output),
    cache: z.object({
      decision: z.enum(["reused", "ran", "no-key", "pending"]),
      why: z.array(z.string()),
      run: z
        .string()
        .optional()
        .meta({ description: "The run whose cache entry it was compared with or reused" }),
    }),
  })
  .meta({ id: "StepDetail" });
export const CompareQuery = z.object({ a: z.string(), b: z.string() });
const CompareSide = z.object({
  status: z.enum(STEP_STATUSES),
  cacheKey: z.string().optional(),
  reusedFrom: z.string().optional(),
});
export const Comparison = z
  .object({
    runs: z.array(Run),
    parameters: z.array(z.object({ name: z.string(), a: z.unknown(), b: z.unknown(), same: z.boolean() })),
    metrics: z.array(
      z.object({
        stepId: z.string(),
        instance: z.number().int(),
        name: z.string(),
        a: z.unknown().optional(),
        b: z.unknown().optional(),
      }),
    ),
    steps: z.array(
      z.object({
        stepId: z.string(),
        instance: z.number().int(),
        a: CompareSide.optional(),
        b: CompareSide.optional(),
        sameKey: z.boolean(),
        codeFiles: z.array(z.object({ path: z.string(), change: z.enum(["added", "removed", "changed"]) })),
      }),
    ),
  })
  .meta({ id: "Comparison" });
