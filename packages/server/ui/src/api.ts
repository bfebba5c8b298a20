// The API as the pages read it: same origin, the session cookie sent by the browser, JSON in and
// out; an answer of 401 sends the browser to the sign-in page.

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly problems: Array<{ path: string; message: string; hint?: string }> = [],
  ) {
    super(message);
  }
}

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const answer = await fetch(`/api/v1${path}`, {
    method: init.method ?? "GET",
    credentials: "same-origin",
    headers: init.body === undefined ? {} : { "content-type": "application/json" },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await answer.text();
  const body = text ? (JSON.parse(text) as unknown) : {};
  if (!answer.ok) {
    const error = (body as { error?: { code: string; message: string; problems?: ApiFailure["problems"] } })
      .error;
    if (answer.status === 401 && !path.startsWith("/signin")) {
      const next = location.pathname + location.search;
      history.pushState(null, "", `/signin?next=${encodeURIComponent(next)}`);
      dispatchEvent(new PopStateEvent("popstate"));
    }
    throw new ApiFailure(
      answer.status,
      error?.code ?? "CANAL_API_INTERNAL",
      error?.message ?? `${answer.status} ${answer.statusText}`,
      error?.problems ?? [],
    );
  }
  return body as T;
}

export function query(values: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(values))
    if (value !== undefined && value !== "") params.set(name, String(value));
  const text = params.toString();
  return text ? `?${text}` : "";
}

export interface Run {
  id: string;
  pipeline: string;
  experiment: string;
  pipelineVersion: number;
  status: string;
  parameters: Record<string, unknown>;
  runtime: string;
  startedBy?: string;
  error?: string;
  createdAt: number;
  startedAt?: number;
  endedAt?: number;
}

export interface StepRun {
  id: number;
  runId: string;
  stepId: string;
  instance: number;
  status: string;
  cacheKey?: string;
  reusedFrom?: { runId: string; stepRunId: number };
  error?: string;
  createdAt: number;
  startedAt?: number;
  endedAt?: number;
}

export interface Session {
  role: "viewer" | "launcher" | "admin";
  name?: string;
}

let session: Session | undefined;

/** Who this browser is signed in as (read once per page load). */
export async function whoAmI(): Promise<Session> {
  session ??= await api<Session>("/session");
  return session;
}

export function forgetSession(): void {
  session = undefined;
}

export const mayLaunch = (s: Session) => s.role === "launcher" || s.role === "admin";

export { stepKey } from "./step-key.js";
