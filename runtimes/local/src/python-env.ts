import { execFile } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Environment } from "@canal/ir";

const run = promisify(execFile);

export class EnvironmentError extends Error {
  readonly code = "CANAL_ENV_BUILD_FAILED";
}

/** The system interpreter: Debian's /usr/bin/python3 (where apt puts scikit-learn) before PATH's. */
export function systemPython(): string {
  return existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

const building = new Map<string, Promise<string>>();

/**
 * The bin directory of a Python environment: a virtualenv per environment id, built once and kept
 * under `cacheDir/envs/<id>`. It sees the system's site-packages, so requirements that Debian's
 * packages already meet install nothing (and need no network). Built in a temporary directory and
 * renamed into place, so an interrupted build is never mistaken for a finished one.
 */
export function pythonEnvironment(environment: Environment, cacheDir: string): Promise<string> {
  const dir = join(cacheDir, "envs", environment.id);
  const bin = join(dir, "bin");
  if (existsSync(join(bin, "python"))) return Promise.resolve(bin);
  let pending = building.get(environment.id);
  if (!pending) {
    pending = build(environment, dir).finally(() => building.delete(environment.id));
    building.set(environment.id, pending);
  }
  return pending;
}

async function build(environment: Environment, dir: string): Promise<string> {
  const python = systemPython();
  if (environment.pythonVersion) {
    const { stdout } = await run(python, ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"]);
    if (!stdout.trim().startsWith(environment.pythonVersion)) {
      throw new EnvironmentError(
        `environment ${environment.id.slice(0, 12)} asks for Python ${environment.pythonVersion} but ${python} is ${stdout.trim()}; install that version or change env.python({ version })`,
      );
    }
  }
  const needsPip = Boolean(environment.requirements?.trim() || environment.packages?.length);
  const temp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  mkdirSync(join(dir, ".."), { recursive: true });
  try {
    await run(python, [
      "-m",
      "venv",
      "--system-site-packages",
      ...(needsPip ? [] : ["--without-pip"]),
      temp,
    ]).catch((error: { stderr?: string }) => {
      throw new EnvironmentError(
        `creating a virtualenv with ${python} failed: ${error.stderr?.trim().split("\n").pop() ?? error}; on Debian install python3-venv (apt-get install python3-venv)`,
      );
    });
    const pipArgs = [
      "-m",
      "pip",
      "install",
      "--no-input",
      "--disable-pip-version-check",
      "--no-warn-script-location",
    ];
    if (environment.requirements?.trim()) {
      const file = join(temp, "requirements.txt");
      writeFileSync(file, environment.requirements);
      await pip(temp, [...pipArgs, "-r", file], environment);
    }
    if (environment.packages?.length) await pip(temp, [...pipArgs, ...environment.packages], environment);
    // The venv records its own path in scripts; it is only used through its interpreter, which is
    // location-independent, so renaming it into place is safe.
    if (existsSync(dir)) rmSync(temp, { recursive: true, force: true });
    else renameSync(temp, dir);
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    throw error;
  }
  return join(dir, "bin");
}

async function pip(venv: string, args: string[], environment: Environment): Promise<void> {
  try {
    await run(join(venv, "bin", "python"), args, { timeout: 600_000 });
  } catch (error) {
    const output = `${(error as { stdout?: string }).stdout ?? ""}${(error as { stderr?: string }).stderr ?? ""}`;
    const last = output.trim().split("\n").slice(-3).join(" | ");
    throw new EnvironmentError(
      `installing the requirements of environment ${environment.id.slice(0, 12)}${environment.requirementsPath ? ` (${environment.requirementsPath})` : ""} failed: ${last}; make each requirement installable here (no package index may be reachable: use what the system's packages provide)`,
    );
  }
}
