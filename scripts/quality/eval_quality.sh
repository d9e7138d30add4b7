#!/usr/bin/env bash
# Scores the built smartcrop against human crop boxes and eye fixations with the shared harness
# (docs/QUALITY.md). Not part of the test suite: it needs the evaluation photos,
# which must never be copied into the repository.
#   scripts/quality/eval_quality.sh [BUILD_DIR] [EXTRA_CROPPER_FLAGS...]
# Env: EVAL_SRC (default ../shared/eval beside the repository), EVAL_DIR (default /tmp/eval),
#      ANCHORS=1 to (re)run the reference croppers, OUT (default $EVAL_DIR/out/quality).
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$here/build}"
shift || true
bin="$(cd "$build" && pwd)/smartcrop"
[ -x "$bin" ] || { echo "error: $bin: not built (cmake --build $build)" >&2; exit 2; }
src="${EVAL_SRC:-$here/../shared/eval}"
dir="${EVAL_DIR:-/tmp/eval}"
out="${OUT:-$dir/out/quality}"

if [ ! -f "$dir/run_eval.py" ]; then
  mkdir -p "$dir" && cp -r "$src/." "$dir/"
fi
cd "$dir"
py=/usr/bin/python3
if [ "${ANCHORS:-0}" = 1 ] || [ ! -f out/anchors/summary.json ]; then
  bash setup_anchors.sh
  "$py" run_eval.py --anchors --out out/anchors
fi

extra="$*"
c="$bin --quiet $extra --requests {list}"
# --anchors with --reuse: the reference rows come from the anchor run, not re-run.
"$py" run_eval.py --out "$out" --anchors --reuse out/anchors --baseline center \
  --batch-cropper "default=$c" \
  --batch-cropper "saliency-learned=$c --backend saliency --strategy learned" \
  --batch-cropper "saliency-peak=$c --backend saliency --strategy peak" \
  --batch-cropper "saliency-mass=$c --backend saliency --strategy mass" \
  --batch-cropper "center-mass=$c --backend center --strategy mass"
echo "table: $out/summary.md" >&2
