#!/usr/bin/env bash
# Runs every test: installs what they need, builds, exports the test models and runs CTest.
#   scripts/test.sh [ctest args...]
#   scripts/test.sh --sanitize [ctest args...]   the C++ tests that load no LibTorch, built
#                                                 with ASan+UBSan in build-sanitize/
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/deps.sh --test
if [[ "${1:-}" == "--sanitize" ]]; then
  shift
  cmake -S "$root" -B "$root/build-sanitize" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSMARTCROP_SANITIZE=ON >/dev/null
  cmake --build "$root/build-sanitize" --target sanitized_tests -j "$(nproc)"
  cd build-sanitize
  ctest --output-on-failure -j 2 -L sanitize "$@"
  exit
fi
bash scripts/build.sh
cd build
ctest --output-on-failure -j 2 "$@"
