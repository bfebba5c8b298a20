import { describe, expect, it } from "vitest";
import { cannotConnect, connectFailure, defaultSocket } from "./engine-check.js";

describe("reaching a Docker engine", () => {
  it("takes the socket DOCKER_HOST names, as the docker CLI does, else Docker's default", () => {
    expect(defaultSocket({ DOCKER_HOST: "unix:///run/user/1000/docker.sock" })).toBe(
      "/run/user/1000/docker.sock",
    );
    expect(defaultSocket({ DOCKER_HOST: "tcp://10.0.0.2:2375" })).toBe("/var/run/docker.sock");
    expect(defaultSocket({})).toBe("/var/run/docker.sock");
  });

  it("tells nothing there, nobody listening and no permission apart from other errors", () => {
    const socket = "/run/docker.sock";
    expect(connectFailure({ code: "ENOENT", syscall: "connect" }, socket)).toBe(
      "nothing is at /run/docker.sock (no such file)",
    );
    expect(connectFailure({ code: "ECONNREFUSED" }, socket)).toBe(
      "/run/docker.sock exists, but no engine listens on it (connection refused)",
    );
    expect(connectFailure(new Error("connect EACCES /run/docker.sock"), socket)).toMatch(
      /^this user may not open \/run\/docker\.sock \(permission denied\); add it to the group/,
    );
    expect(connectFailure({ code: "ECONNRESET" }, socket)).toBeUndefined();
    expect(connectFailure({ statusCode: 500, message: "server error" }, socket)).toBeUndefined();
  });

  it("says what to start or set, naming the target's key when it is known", () => {
    expect(cannotConnect("/x.sock", "nothing is at /x.sock (no such file)", "box")).toContain(
      "; start dockerd (it listens on /var/run/docker.sock unless started with -H unix://PATH), or set `targets.box.socket` in canal.config.json",
    );
    expect(cannotConnect("/x.sock", "why")).toContain(
      `or set the docker target's "socket" in canal.config.json`,
    );
  });
});
