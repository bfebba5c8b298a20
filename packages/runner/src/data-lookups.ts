// What reading a parameter from the workspace's data needs either way, copied in or read in place:
// the version a parameter reads, the files a datastore path names, and the declared schema checked
// against a registered one.
import { type Parameter, schemaMismatch, type TableSchemaType, type Type } from "@canal/ir";
import { ParameterError } from "@canal/runtime-core";
import { type DatasetVersion, type Datastore, StoreError, type Workspace } from "@canal/store";

/** What a run records for a parameter read from the workspace's data, beside its content. */
export type DataOrigin =
  | { dataset: { name: string; version: number; digest: string } }
  | { datastore: { name: string; path: string } };

export function declaredSchema(type: Type): TableSchemaType | undefined {
  return "artifact" in type ? type.artifact.table : undefined;
}

export const isDirectoryType = (type: Type) =>
  "artifact" in type && type.artifact.lineage.includes("Directory");

/** The first column a declared schema wants that a registered version's schema does not give as it wants it. */
function schemaGap(
  declared: TableSchemaType,
  registered: { columns: TableSchemaType["columns"] },
): string | undefined {
  const mismatch = schemaMismatch(declared, registered);
  if (!mismatch) return undefined;
  const column = mismatch.expected;
  if (mismatch.problem === "missing") return `has no column \`${column.name}\` (${column.type})`;
  if (mismatch.problem === "type")
    return `has column \`${column.name}\` as ${mismatch.actual.type}, not ${column.type}`;
  return `lets column \`${column.name}\` be empty, which the pipeline declares never empty`;
}

/**
 * The version a parameter reads. A dataset the workspace does not have is named with the parameter
 * and the command that registers it: a pipeline whose default is `Table.get("iris")` runs in a new
 * workspace only once someone registered iris there.
 */
export async function versionFor(
  workspace: Workspace,
  parameter: Parameter,
  name: string,
  pinned: number | undefined,
): Promise<DatasetVersion> {
  try {
    return await workspace.metadata.getDatasetVersion(name, pinned || undefined);
  } catch (error) {
    if (!(error instanceof StoreError) || error.code !== "CANAL_STORE_DATASET_NOT_FOUND") throw error;
    const table = "artifact" in parameter.type && parameter.type.artifact.lineage.includes("Table");
    throw new StoreError(
      "CANAL_STORE_DATASET_NOT_FOUND",
      `parameter \`${parameter.name}\` reads dataset ${name}, which is not registered: ${error.message}; ` +
        `register it before the run with \`canal datasets register ${name} --from DATASTORE:GLOB${table ? " --table" : ""}\``,
    );
  }
}

/** A registered table's schema compared with the declared one, without reading a byte. */
export function checkRegisteredSchema(
  parameter: Parameter,
  version: DatasetVersion,
  name: string,
  what: string,
): void {
  const declared = declaredSchema(parameter.type);
  // A registered table's schema is compared with the declared one without reading a byte.
  if (declared && version.table) {
    const gap = schemaGap(declared, version.table.schema);
    if (gap) {
      throw new ParameterError([
        {
          path: parameter.name,
          message: `parameter \`${parameter.name}\` reads ${what}, whose schema ${gap}${declared.schemaName ? `; \`${declared.schemaName}\` declares it` : ""}`,
          hint: `register a version of ${name} with the declared columns, pin one that has them (-p ${parameter.name}=${name}:N), or change the schema the pipeline declares`,
        },
      ]);
    }
  }
}

/** The files a datastore path names; none is an error naming the parameter. */
export async function listDatastorePath(
  datastore: Datastore,
  parameter: Parameter,
  store: string,
  path: string,
): Promise<Array<{ path: string; size: number }>> {
  const entries = await datastore.list(path);
  if (entries.length === 0) {
    throw new ParameterError([
      {
        path: parameter.name,
        message: `parameter \`${parameter.name}\`: ${store}:${path} names no file of datastore ${store} (${datastore.location})`,
        hint: `\`canal datastores ls ${store}\` lists its files`,
      },
    ]);
  }
  return entries;
}
