// A value of a run or a step as the API lists it, and how the pages show it: a link to its bytes.
import { h, shown } from "./dom.js";

export interface Shown {
  name: string;
  kind: string;
  digest?: string;
  size?: number;
  value?: unknown;
}

export function valueLink(value: Shown, href: string): HTMLElement {
  if (value.kind === "value") return h("span", {}, `${value.name} = `, h("code", {}, shown(value.value)));
  const size =
    value.size === undefined
      ? ""
      : value.kind === "files"
        ? ` (${value.size} files)`
        : ` (${value.size} bytes)`;
  return h(
    "span",
    {},
    h("a", { href, download: value.kind === "file" ? "" : undefined, target: "_blank" }, value.name),
    ` ${value.kind}${size}`,
  );
}
