// Datasets: each with its latest version; a dataset's versions; one version with its files, a
// page at a time, and the runs that read it or registered it (its lineage).
import { api, query } from "./api.js";
import { append, h, statusBadge, when } from "./dom.js";

interface DatasetVersion {
  name: string;
  version: number;
  kind: string;
  digest: string;
  datastore: string;
  pattern: string;
  fileCount: number;
  size: number;
  description?: string;
  registeredBy?: string;
  createdAt: number;
}

const bytes = (n: number) =>
  n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 ** 2).toFixed(1)} MiB`;
const versionLink = (v: { name: string; version: number }) =>
  h("a", { href: `/datasets/${encodeURIComponent(v.name)}/${v.version}` }, `${v.name}:${v.version}`);

export async function datasetsPage(main: HTMLElement): Promise<void> {
  document.body.dataset.page = "datasets";
  const { datasets } = await api<{
    datasets: Array<{ name: string; versions: number; latest: DatasetVersion }>;
  }>("/datasets");
  append(main, [
    h("h1", {}, "Datasets"),
    datasets.length === 0
      ? h(
          "p",
          {},
          "No dataset is registered: `canal datasets register NAME --from DATASTORE:GLOB` makes one.",
        )
      : h(
          "table",
          { class: "datasets" },
          h(
            "tr",
            {},
            ...["Dataset", "Versions", "Latest", "Kind", "Files", "Size", "Registered"].map((t) =>
              h("th", {}, t),
            ),
          ),
          ...datasets.map((d) =>
            h(
              "tr",
              { "data-dataset": d.name },
              h("td", {}, h("a", { href: `/datasets/${encodeURIComponent(d.name)}` }, d.name)),
              h("td", {}, d.versions),
              h("td", {}, versionLink(d.latest)),
              h("td", {}, d.latest.kind),
              h("td", {}, d.latest.fileCount),
              h("td", {}, bytes(d.latest.size)),
              h("td", {}, when(d.latest.createdAt)),
            ),
          ),
        ),
  ]);
}

export async function datasetPage(main: HTMLElement, name: string): Promise<void> {
  document.body.dataset.page = "dataset";
  const { versions } = await api<{ versions: DatasetVersion[] }>(
    `/datasets/${encodeURIComponent(name)}/versions`,
  );
  main.append(
    h("h1", {}, `Dataset ${name}`),
    h(
      "table",
      { class: "versions" },
      h(
        "tr",
        {},
        ...["Version", "Kind", "Files", "Size", "From", "Registered by", "Registered"].map((t) =>
          h("th", {}, t),
        ),
      ),
      ...versions.map((v) =>
        h(
          "tr",
          {},
          h("td", {}, versionLink(v)),
          h("td", {}, v.kind),
          h("td", {}, v.fileCount),
          h("td", {}, bytes(v.size)),
          h("td", {}, h("code", {}, `${v.datastore}:${v.pattern}`)),
          h("td", {}, v.registeredBy ?? ""),
          h("td", {}, when(v.createdAt)),
        ),
      ),
    ),
  );
}

export async function datasetVersionPage(
  main: HTMLElement,
  name: string,
  version: number,
  params: URLSearchParams,
): Promise<void> {
  document.body.dataset.page = "dataset-version";
  const after = params.get("after") ?? undefined;
  const detail = await api<{
    version: DatasetVersion;
    files: Array<{ path: string; digest: string; size: number }>;
    next?: string;
    uses: Array<{ runId: string; direction: string; name: string; pipeline: string; runStatus: string }>;
  }>(`/datasets/${encodeURIComponent(name)}/versions/${version}${query({ after })}`);
  const v = detail.version;
  append(main, [
    h("h1", {}, `Dataset ${v.name}:${v.version}`),
    h(
      "dl",
      { class: "facts" },
      ...[
        ["Kind", v.kind],
        ["From", `${v.datastore}:${v.pattern}`],
        ["Files", `${v.fileCount} (${bytes(v.size)})`],
        ["Digest", v.digest],
        ["Registered", `${when(v.createdAt)}${v.registeredBy ? ` by ${v.registeredBy}` : ""}`],
        ...(v.description ? [["Description", v.description]] : []),
      ].flatMap(([k, value]) => [h("dt", {}, k), h("dd", {}, value)]),
    ),
    h("h2", {}, "Runs"),
    detail.uses.length === 0
      ? h("p", {}, "No run has read or registered it.")
      : h(
          "ul",
          { class: "uses" },
          ...detail.uses.map((u) =>
            h(
              "li",
              {},
              h("a", { href: `/runs/${u.runId}` }, u.runId),
              ` ${u.pipeline} ${u.direction === "input" ? "read it as parameter" : "registered it from output"} \`${u.name}\` `,
              statusBadge(u.runStatus),
            ),
          ),
        ),
    h("h2", {}, "Files"),
    h(
      "table",
      { class: "files" },
      h("tr", {}, ...["Path", "Size", "sha256"].map((t) => h("th", {}, t))),
      ...detail.files.map((f) =>
        h(
          "tr",
          {},
          h("td", {}, f.path),
          h("td", {}, bytes(f.size)),
          h("td", {}, h("code", {}, f.digest.slice(0, 12))),
        ),
      ),
    ),
    detail.next
      ? h(
          "a",
          {
            class: "button",
            href: `/datasets/${encodeURIComponent(name)}/${version}${query({ after: detail.next })}`,
          },
          "More files",
        )
      : null,
  ]);
}
