// Schedules and data triggers: each with what fires it, its next slot and its last tick; one
// schedule with its recent ticks (fired, skipped, missed, failed) and the runs they started, paused
// and resumed from here by a role that may start runs.
import { api, mayLaunch, type Session } from "./api.js";
import { append, h, shown, when } from "./dom.js";

interface Schedule {
  name: string;
  endpoint: string;
  kind: "cron" | "data";
  cron?: string;
  timezone?: string;
  catchUp: string;
  datastore?: string;
  path?: string;
  debounceMs?: number;
  parameters: Record<string, unknown>;
  experiment?: string;
  paused: boolean;
  next?: number;
  createdBy?: string;
  createdAt: number;
  updatedAt: number;
}

interface Tick {
  scheduledAt: number;
  status: "claimed" | "fired" | "skipped" | "missed" | "failed";
  runId?: string;
  reason?: string;
  error?: string;
  paths?: string[];
  host?: string;
  claimedAt: number;
  endedAt?: number;
}

const scheduleHref = (name: string) => `/schedules/${encodeURIComponent(name)}`;

/** What fires a schedule, as `canal schedules ls` says it. */
function trigger(s: Schedule): string {
  if (s.kind === "cron") return `${s.cron} (${s.timezone ?? "UTC"})`;
  const debounce = s.debounceMs === undefined ? "" : `, settled ${Math.round(s.debounceMs / 1000)} s`;
  return `changes in ${s.datastore}:${s.path}${debounce}`;
}

const stateBadge = (s: Schedule) =>
  h(
    "span",
    {
      class: `badge status-${s.paused ? "canceled" : "running"}`,
      "data-state": s.paused ? "paused" : "active",
    },
    s.paused ? "paused" : "active",
  );

function tickBadge(tick: Tick): HTMLElement {
  const look = {
    fired: "succeeded",
    failed: "failed",
    missed: "interrupted",
    skipped: "cached",
    claimed: "running",
  };
  return h("span", { class: `badge status-${look[tick.status]}`, "data-tick": tick.status }, tick.status);
}

export async function schedulesPage(main: HTMLElement): Promise<void> {
  document.body.dataset.page = "schedules";
  const { schedules } = await api<{ schedules: Schedule[] }>("/schedules");
  // The last tick of each, read with it: one call per schedule, a page holding a workspace's few.
  const last = await Promise.all(
    schedules.map((s) => api<{ ticks: Tick[] }>(`${scheduleHref(s.name)}?limit=1`).then((d) => d.ticks[0])),
  );
  append(main, [
    h("h1", {}, "Schedules"),
    schedules.length === 0
      ? h(
          "p",
          {},
          'No schedule: `canal schedules create ENDPOINT --cron "0 3 * * *"` or `--on-change DATASTORE:PATH` makes one.',
        )
      : h(
          "table",
          { class: "schedules" },
          h(
            "tr",
            {},
            ...["Schedule", "Endpoint", "Fires on", "Catch-up", "State", "Next", "Last tick"].map((t) =>
              h("th", {}, t),
            ),
          ),
          ...schedules.map((s, i) => {
            const tick = last[i];
            return h(
              "tr",
              { "data-schedule": s.name },
              h("td", {}, h("a", { href: scheduleHref(s.name) }, s.name)),
              h("td", {}, h("a", { href: `/endpoints/${encodeURIComponent(s.endpoint)}` }, s.endpoint)),
              h("td", {}, trigger(s)),
              h("td", {}, s.catchUp),
              h("td", {}, stateBadge(s)),
              h("td", {}, when(s.next)),
              h("td", {}, tick ? h("span", {}, tickBadge(tick), " ", when(tick.scheduledAt)) : "none yet"),
            );
          }),
        ),
  ]);
}

export async function schedulePage(main: HTMLElement, name: string, session: Session): Promise<() => void> {
  document.body.dataset.page = "schedule";
  const path = `/schedules/${encodeURIComponent(name)}`;
  const heading = h("h1", {}, `Schedule ${name}`);
  const facts = h("dl", { class: "facts" });
  const actions = h("p", { class: "actions" });
  const ticksTable = h("table", { class: "ticks" });
  const status = h("p", { role: "status" });
  main.append(heading, facts, actions, status, h("h2", {}, "Ticks"), ticksTable);

  const drawn = (schedule: Schedule, ticks: Tick[]) => {
    facts.replaceChildren(
      ...(
        [
          [
            "Endpoint",
            h("a", { href: `/endpoints/${encodeURIComponent(schedule.endpoint)}` }, schedule.endpoint),
          ],
          ["Fires on", trigger(schedule)],
          ["Catch-up", schedule.catchUp],
          ["State", stateBadge(schedule)],
          ["Next slot", when(schedule.next) || "—"],
          ["Parameters", shown(schedule.parameters)],
          ["Experiment", schedule.experiment ?? "the pipeline's name"],
          ["Made by", schedule.createdBy ?? "—"],
          ["Changed", when(schedule.updatedAt)],
        ] as Array<[string, Node | string]>
      ).flatMap(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]),
    );
    actions.replaceChildren();
    if (mayLaunch(session)) {
      const button = h(
        "button",
        {
          id: schedule.paused ? "resume" : "pause",
          onclick: async () => {
            button.setAttribute("disabled", "");
            try {
              await api(path, { method: "PATCH", body: { paused: !schedule.paused } });
              await refresh();
              status.textContent = schedule.paused ? "Resumed: no slot of the pause fires." : "Paused.";
              status.className = "";
            } catch (error) {
              status.textContent = (error as Error).message;
              status.className = "error";
              button.removeAttribute("disabled");
            }
          },
        },
        schedule.paused ? "Resume" : "Pause",
      );
      actions.append(button);
    }
    ticksTable.replaceChildren(
      h(
        "tr",
        {},
        ...["Scheduled for", "Outcome", "Run", "Why", "Changed paths", "Server"].map((t) => h("th", {}, t)),
      ),
      ...ticks.map((tick) =>
        h(
          "tr",
          { "data-scheduled": tick.scheduledAt },
          h("td", {}, when(tick.scheduledAt)),
          h("td", {}, tickBadge(tick)),
          h(
            "td",
            {},
            tick.runId ? h("a", { href: `/runs/${encodeURIComponent(tick.runId)}` }, tick.runId) : "—",
          ),
          h("td", {}, tick.error ?? tick.reason ?? ""),
          h("td", {}, tick.paths ? `${tick.paths.length}: ${tick.paths.slice(0, 3).join(", ")}` : ""),
          h("td", {}, tick.host ?? ""),
        ),
      ),
    );
    if (ticks.length === 0) ticksTable.append(h("tr", {}, h("td", { colspan: 6 }, "No tick yet.")));
  };

  const refresh = async () => {
    const detail = await api<{ schedule: Schedule; ticks: Tick[] }>(`${path}?limit=50`);
    drawn(detail.schedule, detail.ticks);
    document.body.dataset.ready = "1";
  };
  await refresh();
  // New ticks show as they come: a schedule fires on its own clock, not on a page's.
  const timer = setInterval(() => void refresh().catch(() => undefined), 2000);
  return () => clearInterval(timer);
}
