#!/usr/bin/env bash
# Sets Canal up on a fresh machine (Node 20 + npm, git, python3) and runs the main job on the
# embedded default: installs the system packages and the npm workspace, builds every package,
# compiles the flagship example and runs it on the local runtime, recorded in the workspace's
# SQLite store and local artifact store (.canal/).
set -euo pipefail
cd "$(dirname "$0")/.."

node scripts/ensure-deps.mjs
npx tsc -b
node scripts/bundle-cli.mjs
# The bin link npm made at install (packages/cli/bin/canal.js), as a user runs it.
canal() { npx --no-install canal "$@"; }
canal compile examples/iris/pipeline.ts --out canal-out
canal inspect canal-out/iris
canal run canal-out/iris
canal runs --limit 3
