import { existsSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";

// The bundle leaves some packages out (native ones, the big clients, the compiler) and requires
// them by name from its own folder, while each Canal package would have found them from its own.
// npm puts a package beside the one that needs it when the project holds another version of it
// at the top (a user's own `pg` or `@aws-sdk/client-s3`): then the two lookups find different
// copies, and the bundle must not run, or it would load the user's version where Canal's was meant.

/** A package the bundle requires at run time, and the Canal package whose code requires it. */
export interface BundleExternal {
  name: string;
  from: string;
}

/** The folder Node finds package `name` in from `dir` (its node_modules lookup), or undefined. */
export function packageFolder(name: string, dir: string): string | undefined {
  for (let at = dir; ; at = dirname(at)) {
    const candidate = join(at, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return realpathSync(candidate);
    if (dirname(at) === at) return undefined;
  }
}

/**
 * Whether every package the bundle in `bundleDir` requires by name is the copy its Canal package
 * would load: the first one found otherwise, or undefined when all are. `cliDir` is @canal/cli's
 * own folder, where the Canal packages are found from.
 */
export function strayExternal(
  externals: readonly BundleExternal[],
  bundleDir: string,
  cliDir: string,
): BundleExternal | undefined {
  const owners = new Map<string, string | undefined>();
  for (const external of externals) {
    if (!owners.has(external.from))
      owners.set(
        external.from,
        external.from === "@canal/cli" ? cliDir : packageFolder(external.from, cliDir),
      );
    const owner = owners.get(external.from);
    if (owner === undefined) return external;
    if (packageFolder(external.name, owner) !== packageFolder(external.name, bundleDir)) return external;
  }
  return undefined;
}
