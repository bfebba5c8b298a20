import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { readArtifact } from "@canal/ir";
import { parseParameterArgs } from "@canal/runtime-core";
import type { ExportFormat } from "@canal/runtime-kubernetes";
import { type Io, UsageError } from "../io.js";

export const exportHelp = `Usage: canal export <artifact> --to kubernetes|argo [options]

Writes a compiled artifact as Kubernetes manifests, to run it on a cluster with no Canal server:
  kubernetes   one batch/v1 Job per step instance; fan-outs expanded and conditions decided on the
               parameters at export time; Jobs labelled by wave, applied in order (see the notes
               at the head of the output)
  argo         one Argo Workflow: a DAG whose fan-outs, conditions and parameters stay live, so
               \`argo submit -p\` sets them per run
Each step's container runs \`canal exec\` on the artifact, which is copied to the shared volume.

  --to FORMAT              kubernetes or argo
  --out FILE               write here instead of to stdout
  --image IMAGE            image of steps whose environment names none (default canal/worker:VERSION)
  --namespace NS           the namespace to write into the manifests
  --volume-claim NAME      the ReadWriteMany PersistentVolumeClaim mounted at /canal (default canal)
  --gpu-label KEY          node label a step's GPU type selects on (default canal.dev/gpu-type)
  --env-secret NAME        the Secret a step's declared variables (passEnv) are read from, one
                           key per variable (default canal-env); values never enter the manifests
  --run NAME               kubernetes: the run's name in Job names and its data directory
  -p, --param name=value   a parameter instead of its default (as canal run takes it)
  --json                   the manifests as JSON instead of YAML: {"apiVersion":"v1","kind":"List",
                           "items":[…]} (kubectl applies it as it is); the notes go to stderr
`;

export async function exportCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      to: { type: "string" },
      out: { type: "string" },
      image: { type: "string" },
      namespace: { type: "string" },
      "volume-claim": { type: "string" },
      "gpu-label": { type: "string" },
      "env-secret": { type: "string" },
      run: { type: "string" },
      param: { type: "string", short: "p", multiple: true },
      json: { type: "boolean" },
    },
  });
  const [path] = positionals;
  if (!path)
    throw new UsageError("canal export needs an artifact, e.g. `canal export canal-out/iris --to argo`");
  const { argoWorkflow, EXPORT_FORMATS, exportPipeline, kubernetesJobs } = await import(
    "@canal/runtime-kubernetes"
  );
  if (!values.to || !EXPORT_FORMATS.includes(values.to as ExportFormat)) {
    throw new UsageError(
      values.to
        ? `--to takes kubernetes or argo, not ${values.to}`
        : "canal export needs --to kubernetes or --to argo",
    );
  }
  const artifact = readArtifact(resolve(io.cwd, path));
  const problems = artifact.verify();
  if (problems.length > 0) throw problems[0];
  const options = {
    ...(values.image ? { image: values.image } : {}),
    ...(values.namespace ? { namespace: values.namespace } : {}),
    ...(values["volume-claim"] ? { volumeClaim: values["volume-claim"] } : {}),
    ...(values["gpu-label"] ? { gpuTypeLabel: values["gpu-label"] } : {}),
    ...(values["env-secret"] ? { envSecret: values["env-secret"] } : {}),
    ...(values.run ? { run: values.run } : {}),
    ...(values.param?.length ? { parameters: parseParameterArgs(values.param, artifact.pipeline) } : {}),
  };
  const format = values.to as ExportFormat;
  let yaml: string;
  if (values.json) {
    const { items, notes } =
      format === "argo"
        ? (({ workflow, notes }) => ({ items: [workflow], notes }))(argoWorkflow(artifact.pipeline, options))
        : (({ jobs, notes }) => ({ items: jobs, notes }))(kubernetesJobs(artifact.pipeline, options));
    yaml = `${JSON.stringify({ apiVersion: "v1", kind: "List", items }, null, 2)}\n`;
    // Notes are not part of any manifest: on stderr, so that what kubectl reads stays a List.
    for (const note of notes) io.stderr(`# ${note}\n`.replace(/ \n$/, "\n"));
  } else yaml = exportPipeline(artifact.pipeline, format, options);
  if (values.out) {
    writeFileSync(resolve(io.cwd, values.out), yaml);
    io.stdout(`wrote ${values.out} (${values.to} manifests of pipeline ${artifact.pipeline.name})\n`);
  } else {
    io.stdout(yaml);
  }
  return 0;
}
