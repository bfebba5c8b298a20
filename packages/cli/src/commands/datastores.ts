import { parseArgs } from "node:util";
import {
  type Datastore,
  datastoreNames,
  findWorkspace,
  openDatastore,
  parseDatastoreRef,
} from "@canal/store";
import { errorJson } from "../errors.js";
import { formatBytes, type Io, UsageError } from "../io.js";

export const datastoresHelp = `Usage: canal datastores [--json]
       canal datastores ls NAME[:PATH] [--json]

Lists the workspace's datastores (the "datastores" of canal.config.json, and \`workspace\`: a folder
of the workspace's own artifact location) with each one's kind and location, and checks that each
can be reached. \`ls\` lists the files of one (under PATH, a folder, a file or a glob such as
"images/**/*.png") with their sizes.

  --json   the datastores (with ok or the error) or the files as JSON

Exit status 1 when a datastore cannot be reached. See docs/data.md.
`;

interface Checked {
  name: string;
  kind: string;
  location: string;
  ok: boolean;
  error?: ReturnType<typeof errorJson>["error"];
}

async function checkOne(found: ReturnType<typeof findWorkspace>, name: string): Promise<Checked> {
  const kind = found.config.datastores[name]?.settings.kind ?? "?";
  let datastore: Datastore | undefined;
  try {
    datastore = await openDatastore(found, name);
    await datastore.check();
    return { name, kind, location: datastore.location, ok: true };
  } catch (error) {
    return { name, kind, location: datastore?.location ?? "", ok: false, error: errorJson(error).error };
  } finally {
    await datastore?.close();
  }
}

export async function datastoresCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: "boolean" } },
  });
  const [sub, target, extra] = positionals;
  const found = findWorkspace(io.cwd);
  if (sub === undefined) {
    // Checked side by side: one slow endpoint does not hold up the others' answers.
    const checked = await Promise.all(datastoreNames(found).map((name) => checkOne(found, name)));
    const failing = checked.filter((c) => !c.ok).length;
    if (values.json) {
      io.stdout(`${JSON.stringify(checked, null, 2)}\n`);
      return failing ? 1 : 0;
    }
    for (const c of checked) {
      io.stdout(`${c.name.padEnd(16)} ${c.kind.padEnd(6)} ${c.location || "-"}\n`);
      io.stdout(
        c.ok ? "  ok\n" : `  error: ${c.error?.code ? `${c.error.code}: ` : ""}${c.error?.message}\n`,
      );
    }
    if (failing)
      io.stderr(
        `canal datastores: ${failing} datastore${failing === 1 ? "" : "s"} cannot be reached; see the errors above\n`,
      );
    return failing ? 1 : 0;
  }
  if (sub !== "ls")
    throw new UsageError(`unknown subcommand \`${sub}\`; canal datastores takes \`ls NAME[:PATH]\``);
  if (target === undefined)
    throw new UsageError("canal datastores ls needs a datastore: `canal datastores ls NAME[:PATH]`");
  if (extra !== undefined) throw new UsageError(`unexpected argument \`${extra}\``);
  const { datastore: name, path } = parseDatastoreRef(target);
  const datastore = await openDatastore(found, name);
  try {
    const files = await datastore.list(path);
    if (values.json) {
      io.stdout(`${JSON.stringify({ datastore: name, location: datastore.location, files }, null, 2)}\n`);
      return 0;
    }
    const total = files.reduce((sum, f) => sum + f.size, 0);
    for (const file of files) io.stdout(`${formatBytes(file.size).padStart(10)}  ${file.path}\n`);
    io.stdout(
      `${files.length} file${files.length === 1 ? "" : "s"}, ${formatBytes(total)} in ${path ? `${name}:${path}` : name}\n`,
    );
    return 0;
  } finally {
    await datastore.close();
  }
}
