#!/usr/bin/env bash
# Runs every test: installs what they need, builds, exports the test models and runs CTest.
#   scripts/test.sh [ctest args...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/deps.sh --test
bash scripts/build.sh
cd build
ctest --output-on-failure -j 2 "$@"
