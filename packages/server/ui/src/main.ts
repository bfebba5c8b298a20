// Canal's web UI: a page per path (runs, a run, a comparison, endpoints, datasets, schedules, sign-in), each drawn into
// <main> from the API. Links are followed without reloading the page.
import { api, forgetSession, whoAmI } from "./api.js";
import { comparedRuns, comparePage } from "./compare-page.js";
import { warmUpLayout } from "./dag.js";
import { datasetPage, datasetsPage, datasetVersionPage } from "./datasets-page.js";
import { h } from "./dom.js";
import { endpointPage, endpointsPage } from "./endpoint-page.js";
import { go } from "./nav.js";
import { runPage } from "./run-page.js";
import { runsPage } from "./runs-page.js";
import { schedulePage, schedulesPage } from "./schedules-page.js";

/** What a page leaves running (an event stream, a timer), stopped when another page is drawn. */
export type Cleanup = () => void;

const main = document.querySelector("main") as HTMLElement;
let cleanup: Cleanup | undefined;

async function draw(): Promise<void> {
  cleanup?.();
  cleanup = undefined;
  main.replaceChildren();
  document.body.dataset.page = "";
  delete document.body.dataset.ready;
  delete document.body.dataset.ended;
  const path = location.pathname;
  const params = new URLSearchParams(location.search);
  try {
    if (path === "/signin") return await signInPage(params);
    const session = await whoAmI();
    document.getElementById("who")?.replaceChildren(`${session.name ?? "signed in"} (${session.role})`);
    const run = /^\/runs\/([^/]+)$/.exec(path);
    const endpoint = /^\/endpoints\/([^/]+)$/.exec(path);
    const dataset = /^\/datasets\/([^/]+)(?:\/(\d+))?$/.exec(path);
    const schedule = /^\/schedules\/([^/]+)$/.exec(path);
    if (path === "/" || path === "/runs") cleanup = await runsPage(main, params);
    else if (run?.[1]) cleanup = await runPage(main, decodeURIComponent(run[1]), session);
    else if (path === "/compare") await comparePage(main, comparedRuns(params));
    else if (path === "/endpoints") await endpointsPage(main);
    else if (endpoint?.[1]) await endpointPage(main, decodeURIComponent(endpoint[1]), session);
    else if (path === "/datasets") await datasetsPage(main);
    else if (dataset?.[1] && dataset[2])
      await datasetVersionPage(main, decodeURIComponent(dataset[1]), Number(dataset[2]), params);
    else if (dataset?.[1]) await datasetPage(main, decodeURIComponent(dataset[1]));
    else if (path === "/schedules") await schedulesPage(main);
    else if (schedule?.[1]) cleanup = await schedulePage(main, decodeURIComponent(schedule[1]), session);
    else main.append(h("p", {}, `No page ${path} here. `, h("a", { href: "/" }, "The runs")));
  } catch (error) {
    if (location.pathname === "/signin") return;
    main.append(h("p", { class: "error", role: "alert" }, (error as Error).message));
  }
}

/** Signs in with the one-time code of `canal ui`'s link (in the fragment or `?code=`), or a token. */
async function signInPage(params: URLSearchParams): Promise<void> {
  document.body.dataset.page = "signin";
  const next = params.get("next") ?? "/";
  const code = location.hash.length > 1 ? location.hash.slice(1) : params.get("code");
  const status = h("p", { id: "signin-status", role: "status" });
  const done = () => {
    forgetSession();
    history.replaceState(null, "", next.startsWith("/") ? next : "/");
    // The layout worker starts with the app: it compiles ELK's code while the first page reads the API.
    if (location.pathname !== "/signin") warmUpLayout(60);
    void draw();
  };
  if (code) {
    // The code leaves the address bar at once: it is used up either way.
    history.replaceState(null, "", `/signin${next !== "/" ? `?next=${encodeURIComponent(next)}` : ""}`);
    try {
      await api("/signin", { method: "POST", body: { code } });
      return done();
    } catch (error) {
      status.textContent = (error as Error).message;
      status.className = "error";
    }
  }
  const input = h("input", { type: "password", name: "token", placeholder: "canal_…", autocomplete: "off" });
  const form = h(
    "form",
    {
      onsubmit: async (event: Event) => {
        event.preventDefault();
        try {
          await api("/signin", { method: "POST", body: { token: input.value.trim() } });
          done();
        } catch (error) {
          status.textContent = (error as Error).message;
          status.className = "error";
        }
      },
    },
    h("label", {}, "API token ", input),
    h("button", { type: "submit" }, "Sign in"),
  );
  main.append(
    h("h1", {}, "Sign in"),
    status,
    h(
      "p",
      {},
      "Open the link `canal ui` prints, or sign in with a token (`canal tokens create --role viewer`).",
    ),
    form,
  );
}

document.addEventListener("click", (event) => {
  const link = (event.target as Element).closest?.("a");
  if (!link || link.target || link.hasAttribute("download") || event.ctrlKey || event.metaKey) return;
  const url = new URL(link.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith("/api/")) return;
  event.preventDefault();
  go(url.pathname + url.search);
});
addEventListener("popstate", () => void draw());
document.getElementById("signout")?.addEventListener("click", async () => {
  await api("/signout", { method: "POST" }).catch(() => undefined);
  forgetSession();
  go("/signin");
});
// The layout worker starts with the app: it compiles ELK's code while the first page reads the API.
if (location.pathname !== "/signin") warmUpLayout(60);
void draw();
