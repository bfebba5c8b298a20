// `canal tokens`: the tokens of `canal serve`, made, listed and revoked in the workspace's store.
import { parseArgs } from "node:util";
import { userName } from "@canal/runner";
import { createToken, TOKEN_ROLES } from "@canal/server";
import type { ApiToken, TokenRole } from "@canal/store";
import { type Io, UsageError } from "../io.js";
import { withWorkspace } from "../workspace.js";

export const tokensHelp = `Usage: canal tokens [--json]
       canal tokens create --role viewer|launcher|admin [--endpoint NAME] [--name LABEL] [--json]
       canal tokens revoke ID

The tokens \`canal serve\` accepts (\`Authorization: Bearer TOKEN\`). A viewer reads runs, logs,
metrics, outputs, pipelines and endpoints; a launcher also starts, cancels and reruns runs; an
admin also manages endpoints and tokens. \`create\` prints the new token once: the store keeps
only its sha256. Listing shows ids, roles and labels, never a secret.

  --role ROLE       viewer, launcher or admin
  --endpoint NAME   a launcher token that starts runs of this endpoint only (and nothing else)
  --name LABEL      a label for people; runs it starts are recorded as started by token:LABEL
  --json            print as JSON
`;

function tokenLine(token: ApiToken): string {
  const scope = token.endpoint ? ` endpoint ${token.endpoint}` : "";
  const label = token.name ? ` "${token.name}"` : "";
  const state = token.revokedAt ? ` revoked ${new Date(token.revokedAt).toISOString()}` : "";
  return `${token.id}  ${token.role}${scope}${label}  created ${new Date(token.createdAt).toISOString()}${token.createdBy ? ` by ${token.createdBy}` : ""}${state}\n`;
}

export async function tokensCommand(args: string[], io: Io): Promise<number> {
  const listing = args.length === 0 || (args[0] as string).startsWith("-");
  const action = listing ? undefined : args[0];
  const rest = listing ? args : args.slice(1);
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      role: { type: "string" },
      endpoint: { type: "string" },
      name: { type: "string" },
      json: { type: "boolean" },
    },
  });
  if (action === undefined || action === "ls" || action === "list") {
    if (positionals.length) throw new UsageError(`unexpected argument \`${positionals[0]}\``);
    return withWorkspace(io, async ({ metadata }) => {
      const tokens = await metadata.listTokens();
      if (values.json) io.stdout(`${JSON.stringify({ tokens }, null, 2)}\n`);
      else if (tokens.length === 0)
        io.stdout("no tokens; make one with `canal tokens create --role viewer`\n");
      else for (const token of tokens) io.stdout(tokenLine(token));
      return 0;
    });
  }
  if (action === "create") {
    if (positionals.length) throw new UsageError(`unexpected argument \`${positionals[0]}\``);
    const role = values.role as TokenRole | undefined;
    if (!role || !TOKEN_ROLES.includes(role))
      throw new UsageError(
        `--role is needed: one of ${TOKEN_ROLES.join(", ")}${values.role ? ` (not ${values.role})` : ""}`,
      );
    if (values.endpoint !== undefined && role !== "launcher")
      throw new UsageError(
        `--endpoint scopes a launcher token to one endpoint; a ${role} token cannot be scoped`,
      );
    return withWorkspace(io, async (workspace) => {
      const { metadata } = workspace;
      if (values.endpoint !== undefined && !(await metadata.getEndpoint(values.endpoint))) {
        const known = (await metadata.listEndpoints()).map((e) => e.name);
        throw new UsageError(
          `no endpoint ${values.endpoint}; ${known.length ? `the endpoints are ${known.join(", ")}` : "publish one first with `canal publish ARTIFACT --name NAME`"}`,
        );
      }
      const { token, secret } = await createToken(metadata, {
        role,
        ...(values.endpoint !== undefined ? { endpoint: values.endpoint } : {}),
        ...(values.name !== undefined ? { name: values.name } : {}),
        createdBy: userName(workspace.config.user),
      });
      if (values.json) io.stdout(`${JSON.stringify({ token, secret }, null, 2)}\n`);
      else
        io.stdout(
          `${secret}\n` +
            `token ${token.id} (${role}${token.endpoint ? `, endpoint ${token.endpoint}` : ""}): shown this once; send it as \`Authorization: Bearer TOKEN\`\n`,
        );
      return 0;
    });
  }
  if (action === "revoke") {
    const [id, extra] = positionals;
    if (!id) throw new UsageError("canal tokens revoke needs a token id; `canal tokens` lists them");
    if (extra !== undefined) throw new UsageError(`unexpected argument \`${extra}\``);
    return withWorkspace(io, async ({ metadata }) => {
      const revoked = await metadata.revokeToken(id);
      if (!revoked) throw new UsageError(`no token ${id}; \`canal tokens\` lists them`);
      io.stdout(`token ${id} revoked\n`);
      return 0;
    });
  }
  throw new UsageError(`unknown action \`${action}\`; the actions are create and revoke (none lists)`);
}
