#!/usr/bin/env bash
# Sets Canal up on a fresh machine (Node 20 + npm, git) and runs the main job on the embedded
# default: installs the npm workspace, builds every package, compiles the flagship example and
# shows what it compiled.
set -euo pipefail
cd "$(dirname "$0")/.."

node scripts/ensure-deps.mjs
npx tsc -b
node packages/cli/dist/main.js compile examples/iris/pipeline.ts --out canal-out
node packages/cli/dist/main.js inspect canal-out/iris
