#!/usr/bin/env bash
# Sets Canal up on a fresh machine (Node 20 + npm, git, python3) and runs the main job on the
# embedded default: installs the system packages and the npm workspace, builds every package,
# registers the flagship example's raw data as the table dataset `iris`, compiles the flagship and
# runs it on the local runtime. examples/iris is a workspace of its own (its canal.config.json): the
# run is recorded in its SQLite store and local artifact store (examples/iris/.canal/). Running the
# set-up again registers nothing new (the same file is the same version) and reuses every step.
set -euo pipefail
cd "$(dirname "$0")/.."

node scripts/ensure-deps.mjs
npx tsc -b
node scripts/bundle-cli.mjs
# The bin link npm made at install (packages/cli/bin/canal.js), as a user runs it.
canal() { npx --no-install canal "$@"; }
cd examples/iris
canal datasets register iris --from raw:iris.csv --table --schema iris.schema.json
canal compile pipeline.ts --out canal-out
canal inspect canal-out/iris
canal run canal-out/iris
canal runs --limit 3
