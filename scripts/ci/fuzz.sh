#!/usr/bin/env bash
# Builds the libFuzzer targets of the hand-written parsers (tests/fuzz/) with clang
# and runs each for SECONDS (default 60) from freshly generated seeds, after replaying
# the committed crash inputs (tests/fuzz/regressions/TARGET/). Prints each target's
# executions per second and coverage; exits 1 on any finding (crash, leak, UBSan
# report, broken property), leaving the input in BUILD_DIR/findings/TARGET/.
#   scripts/ci/fuzz.sh [SECONDS] [--build-dir DIR] [--target NAME]...
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
seconds=60
build="$root/build-fuzz"
only=()
while (($#)); do
  case "$1" in
    --build-dir) build=$(realpath -m "$2"); shift 2 ;;
    --target) only+=("$2"); shift 2 ;;
    -h|--help) sed -n '2,7s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) [[ "$1" =~ ^[0-9]+$ ]] || { echo "fuzz.sh: SECONDS must be a whole number, not '$1'" >&2; exit 2; }
       seconds=$1; shift ;;
  esac
done
targets=(fuzz_image_header fuzz_exif fuzz_ratio fuzz_output_size fuzz_name_template fuzz_steering fuzz_xmp_packet)
((${#only[@]})) && targets=("${only[@]}")

cxx=${FUZZ_CXX:-clang++}
command -v "$cxx" >/dev/null || { echo "fuzz.sh: $cxx not found (scripts/deps.sh --test installs clang)" >&2; exit 2; }
cmake -S "$root/tests/fuzz" -B "$build" -DCMAKE_CXX_COMPILER="$cxx" >/dev/null
cmake --build "$build" -j "$(nproc)" --target "${targets[@]}" >"$build/build.log" 2>&1 ||
  { cat "$build/build.log" >&2; echo "fuzz.sh: build failed" >&2; exit 2; }
rm -rf "$build/seeds" "$build/corpus" "$build/findings"
/usr/bin/python3 "$root/tests/fuzz/make_seeds.py" "$build/seeds" >/dev/null

# Leaks are findings too; -fno-sanitize-recover already makes UBSan stop the run.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:symbolize=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

failed=0
printf '%-20s %9s %10s %7s %7s %s\n' target runs exec/s cov ft corpus
for t in "${targets[@]}"; do
  log="$build/logs/$t.log"
  findings="$build/findings/$t"
  mkdir -p "$build/logs" "$findings" "$build/corpus/$t"
  regressions="$root/tests/fuzz/regressions/$t"
  replay=()
  [[ -n "$(ls -A "$regressions" 2>/dev/null)" ]] && replay=("$regressions")
  # The first folder receives new inputs; the seeds and the regressions are only read.
  status=0
  "$build/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$findings/" "$build/corpus/$t" "$build/seeds/$t" "${replay[@]}" >"$log" 2>&1 || status=$?
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)
  exec_per_sec=$(sed -n 's/^stat::average_exec_per_sec:[[:space:]]*//p' "$log" | tail -1)
  runs=$(sed -n 's/^stat::number_of_executed_units:[[:space:]]*//p' "$log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")
  corp=$(sed -n 's/.* corp: \([^ ]*\).*/\1/p' <<<"$done_line")
  if ((status != 0)) || [[ -z "$done_line" ]]; then
    failed=1
    printf '%-20s FINDING (exit %d): %s\n' "$t" "$status" \
      "$(grep -m1 -E 'SUMMARY|runtime error|ERROR' "$log" || echo 'see the log')"
    echo "  log: $log" >&2
    ls "$findings"/* 2>/dev/null | sed 's/^/  input: /' >&2 || true
  else
    printf '%-20s %9s %10s %7s %7s %s\n' "$t" "${runs:-?}" "${exec_per_sec:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}"
  fi
done
if ((failed)); then
  echo "fuzz.sh: findings above; add each input to tests/fuzz/regressions/TARGET/ once fixed" >&2
  exit 1
fi
echo "fuzz.sh: ${#targets[@]} target(s) clean after ${seconds} s each"
