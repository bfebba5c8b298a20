// What the run page and a step's panel do on a click: rerun (from a step), and say why it failed.
import { api } from "./api.js";
import { go } from "./nav.js";

export function alertOf(error: unknown) {
  alert((error as Error).message);
}

export async function rerun(runId: string, from?: string) {
  try {
    const started = await api<{ runId: string }>(`/runs/${runId}/rerun`, {
      method: "POST",
      body: from === undefined ? {} : { from },
    });
    go(`/runs/${started.runId}`);
  } catch (error) {
    alertOf(error);
  }
}
