// Published endpoints, and a form per endpoint built from the JSON Schema of the body its runs
// take (the pipeline's typed parameters): numbers, text, choices, switches, and JSON for lists and
// objects. Submitting starts a run and opens its page.
import { ApiFailure, api, mayLaunch, type Session } from "./api.js";
import { append, h } from "./dom.js";
import { go } from "./nav.js";

interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  description?: string;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
}

interface Endpoint {
  name: string;
  defaultVersion: number;
  versions: Array<{ version: number; pipeline: string; pipelineVersion: number }>;
  requestBody?: JsonSchema;
}

export async function endpointsPage(main: HTMLElement): Promise<void> {
  document.body.dataset.page = "endpoints";
  const { endpoints } = await api<{ endpoints: Endpoint[] }>("/endpoints");
  main.append(
    h("h1", {}, "Endpoints"),
    endpoints.length === 0
      ? h("p", {}, "No endpoint is published: `canal publish ARTIFACT --name NAME` makes one.")
      : h(
          "ul",
          {},
          ...endpoints.map((e) => {
            const current = e.versions.find((v) => v.version === e.defaultVersion);
            return h(
              "li",
              {},
              h("a", { href: `/endpoints/${encodeURIComponent(e.name)}` }, e.name),
              current
                ? ` — ${current.pipeline} v${current.pipelineVersion} (version ${e.defaultVersion})`
                : "",
            );
          }),
        ),
  );
}

const typeOf = (schema: JsonSchema): string => {
  if (schema.enum) return "enum";
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  return type ?? "json";
};

export async function endpointPage(main: HTMLElement, name: string, session: Session): Promise<void> {
  document.body.dataset.page = "endpoint";
  const endpoint = await api<Endpoint>(`/endpoints/${encodeURIComponent(name)}`);
  const parameters = endpoint.requestBody?.properties?.parameters ?? {};
  const required = new Set(parameters.required ?? []);
  const problems = h("ul", { class: "problems error", id: "problems", role: "alert" });
  const fields = Object.entries(parameters.properties ?? {}).map(([pname, schema]) => {
    const type = typeOf(schema);
    const id = `p-${pname}`;
    const hint = schema.description ? h("small", {}, schema.description) : null;
    let control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;
    if (type === "boolean") control = h("input", { type: "checkbox", id, name: pname });
    else if (type === "enum")
      control = h(
        "select",
        { id, name: pname },
        ...(required.has(pname) ? [] : [h("option", { value: "" }, "(default)")]),
        ...(schema.enum ?? []).map((v) => h("option", { value: JSON.stringify(v) }, String(v))),
      );
    else if (type === "number" || type === "integer")
      control = h("input", { type: "number", step: type === "integer" ? 1 : "any", id, name: pname });
    else if (type === "string") control = h("input", { type: "text", id, name: pname });
    else control = h("textarea", { id, name: pname, rows: 2, placeholder: "JSON, e.g. [0.1, 1]" });
    if (required.has(pname)) control.required = true;
    else if (!(control instanceof HTMLSelectElement) && type !== "boolean")
      control.placeholder = "(its default)";
    const read = (): { value?: unknown } => {
      if (control instanceof HTMLInputElement && control.type === "checkbox")
        return { value: control.checked };
      const text = control.value;
      if (text === "") return {};
      if (type === "enum") return { value: JSON.parse(text) as unknown };
      if (type === "number" || type === "integer") return { value: Number(text) };
      if (type === "string") return { value: text };
      try {
        return { value: JSON.parse(text) as unknown };
      } catch {
        throw new Error(
          `parameter ${pname}: ${JSON.stringify(text)} is not JSON; write e.g. [1, 2] or {"a": 1}`,
        );
      }
    };
    return {
      name: pname,
      read,
      element: h(
        "div",
        { class: "field" },
        h("label", { for: id }, pname, required.has(pname) ? " *" : "", ` (${type})`),
        control,
        hint,
      ),
    };
  });
  const experiment = h("input", {
    type: "text",
    id: "experiment",
    name: "experiment",
    placeholder: "(the pipeline's name)",
  });
  const submit = h("button", { type: "submit", id: "start", disabled: !mayLaunch(session) }, "Start a run");
  const form = h(
    "form",
    {
      class: "start",
      onsubmit: async (event: Event) => {
        event.preventDefault();
        problems.replaceChildren();
        try {
          const values: Record<string, unknown> = {};
          for (const field of fields) {
            const read = field.read();
            if ("value" in read) values[field.name] = read.value;
          }
          const started = await api<{ runId: string }>(`/endpoints/${encodeURIComponent(name)}/runs`, {
            method: "POST",
            body: { parameters: values, ...(experiment.value ? { experiment: experiment.value } : {}) },
          });
          go(`/runs/${started.runId}`);
        } catch (error) {
          const list = error instanceof ApiFailure && error.problems.length ? error.problems : [];
          problems.append(
            h("li", {}, (error as Error).message),
            ...list.map((p) => h("li", {}, `${p.path}: ${p.message}${p.hint ? ` (${p.hint})` : ""}`)),
          );
        }
      },
    },
    ...fields.map((f) => f.element),
    h("div", { class: "field" }, h("label", { for: "experiment" }, "experiment"), experiment),
    submit,
  );
  append(main, [
    h("h1", {}, `Endpoint ${name}`),
    h(
      "p",
      {},
      `Version ${endpoint.defaultVersion} (default). Parameters the form leaves empty take their defaults; artifact parameters always do.`,
    ),
    mayLaunch(session) ? null : h("p", { class: "hint" }, "Starting runs needs a launcher session."),
    problems,
    form,
  ]);
}
