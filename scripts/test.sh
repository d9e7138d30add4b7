#!/usr/bin/env bash
# Runs every test: installs what they need, builds, exports the test models and runs
# CTest; then the same for the build without LibTorch (-DSMARTCROP_WITH_DINO=OFF, in
# build-nodino/), which registers only the tests that concern it. Both builds run even
# when the first fails; a summary line per build and the total close the output, and the
# exit status is non-zero if anything failed.
#   scripts/test.sh [ctest args...]
#   scripts/test.sh --sanitize [ctest args...]   the C++ tests that load no LibTorch, built
#                                                 with ASan+UBSan in build-sanitize/
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/deps.sh --test || { echo "smartcrop: installing the test tools failed" >&2; exit 2; }
if [[ "${1:-}" == "--sanitize" ]]; then
  shift
  set -e
  cmake -S "$root" -B "$root/build-sanitize" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSMARTCROP_SANITIZE=ON >/dev/null
  cmake --build "$root/build-sanitize" --target sanitized_tests -j "$(nproc)"
  cd build-sanitize
  ctest --output-on-failure -j 2 -L sanitize "$@"
  exit
fi

summaries=() passed=0 failed=0 skipped=0

# test_build NAME DIR [cmake args...] -- [ctest args...]: builds DIR and runs its tests.
test_build() {
  local name=$1 dir=$2 cmake_args=() counts
  shift 2
  while (($#)) && [[ $1 != -- ]]; do cmake_args+=("$1"); shift; done
  shift
  echo "smartcrop: building and testing $name in $dir/" >&2
  if ! cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DSMARTCROP_BUILD_TESTS=ON "${cmake_args[@]}" >/dev/null \
      || ! cmake --build "$dir" -j "$(nproc)"; then
    summaries+=("$name: the build FAILED, no test ran")
    failed=$((failed + 1))
    return
  fi
  rm -f "$dir/junit.xml"
  (cd "$dir" && ctest --output-on-failure -j 2 --output-junit junit.xml "$@")
  # passed failed skipped, from CTest's JUnit report (a run that wrote none failed).
  counts=$(/usr/bin/python3 - "$dir/junit.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
try:
    cases = ET.parse(sys.argv[1]).getroot().iter("testcase")
except (OSError, ET.ParseError):
    print(0, 1, 0); sys.exit()
p = f = s = 0
for case in cases:
    if case.find("failure") is not None or case.find("error") is not None: f += 1
    elif case.find("skipped") is not None or case.get("status") in ("notrun", "disabled"): s += 1
    else: p += 1
print(p, f, s)
PY
)
  read -r p f s <<<"$counts"
  summaries+=("$name: $p passed, $f failed, $s skipped")
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

test_build "build (DINO backend)" build -- "$@"
test_build "build without DINO" build-nodino -DSMARTCROP_WITH_DINO=OFF -- "$@"

echo
printf 'smartcrop: %s\n' "${summaries[@]}"
echo "total: $passed passed, $failed failed, $skipped skipped"
((failed == 0))
