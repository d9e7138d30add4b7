#!/usr/bin/env bash
# Runs every test: installs what they need, builds, exports the test models and runs
# CTest; then the same for the build without LibTorch (-DSMARTCROP_WITH_DINO=OFF, in
# build-nodino/), which registers only the tests that concern it.
#   scripts/test.sh [ctest args...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/deps.sh --test
bash scripts/build.sh
(cd build && ctest --output-on-failure -j 2 "$@")
echo "smartcrop: the build without DINO (build-nodino/)" >&2
cmake -S "$root" -B "$root/build-nodino" -DCMAKE_BUILD_TYPE=Release -DSMARTCROP_WITH_DINO=OFF >/dev/null
cmake --build "$root/build-nodino" -j "$(nproc)"
cd build-nodino
ctest --output-on-failure -j 2 "$@"
