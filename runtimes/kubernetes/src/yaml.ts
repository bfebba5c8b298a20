import { stringify } from "yaml";

/**
 * Documents as one YAML stream, `notes` as comment lines at its head. Keys keep the order the
 * manifests were built in (apiVersion, kind, metadata, spec), and long strings are never folded, so
 * the same manifests always give the same bytes.
 */
export function manifestYaml(documents: unknown[], notes: string[] = []): string {
  const head = notes.map((line) => `# ${line}`.trimEnd()).join("\n");
  const body = documents
    .map((document) =>
      stringify(document, { lineWidth: 0, minContentWidth: 0, aliasDuplicateObjects: false }),
    )
    .join("---\n");
  return head ? `${head}\n${body}` : body;
}
