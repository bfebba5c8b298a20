// `canal ui`'s options, checked before anything is opened or listened on.
import { describe, expect, it } from "vitest";
import { runCli } from "../cli.js";

async function canal(args: string[]) {
  let stdout = "";
  let stderr = "";
  const status = await runCli(args, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    cwd: "/nonexistent",
  });
  return { status, stdout, stderr };
}

describe("canal ui", () => {
  it("refuses a role that is not one, naming the roles", async () => {
    const result = await canal(["ui", "--role", "root"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("--role takes one of viewer, launcher, admin, not root");
  });

  it("says in its help what the link is and how long it works", async () => {
    const result = await canal(["ui", "--help"]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("/signin#CODE");
    expect(result.stdout).toContain("once, within five minutes");
  });
});
