#!/usr/bin/env bash
# Runs docs/BATCH.md's scale-out recipes (tests/e2e/test_schedulers.py) against the
# installed smartcrop package: a Slurm job array on a real single-node cluster (Debian's
# slurm-wlm and munge, scripts/cluster/slurm_cluster.sh), GNU parallel, and the Kubernetes
# indexed Job's command. Any of them skipped is a failure here.
#   scripts/cluster/check_schedulers.sh DEB_DIR
# DEB_DIR holds smartcrop_*.deb (scripts/package.sh). Run as root from a clone, in a
# throwaway root: CI runs it in a fresh `debootstrap --variant=minbase bookworm` root.
# Prints one line per step with its time, the tasks' states and counts, and a closing
# "total: P passed, F failed, S skipped" line; exits 1 if anything failed.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8
cd "$(dirname "$0")/../.."

started=$(date +%s)
step() { printf '[%4ss] %s\n' "$(($(date +%s) - started))" "$*"; }
fail() { echo "check_schedulers: FAILED: $*" >&2; exit 1; }

debs=$(realpath "${1:?usage: check_schedulers.sh DEB_DIR}")
shopt -s nullglob
main_deb=("$debs"/smartcrop_*.deb)
((${#main_deb[@]} == 1)) || fail "$debs needs one smartcrop_*.deb"

step "apt-get install slurm-wlm munge parallel, python3-pytest python3-pil (the tests), ${main_deb[0]##*/}"
apt-get update -q >/dev/null
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! apt-get install -y -q --no-install-recommends slurm-wlm munge parallel python3-pytest python3-pil \
    "${main_deb[0]}" >"$log" 2>&1; then
  cat "$log"; fail "apt-get install"
fi
grep -E '^[0-9]+ upgraded' "$log" || true
echo "  $(slurmctld -V), munge $(dpkg-query -W -f '${Version}' munge), $(parallel --version | head -n 1), $(smartcrop --version)"

step "tests/e2e/test_schedulers.py with /usr/bin/smartcrop"
status=0
SMARTCROP_BIN=/usr/bin/smartcrop SMARTCROP_REQUIRE_SCHEDULERS=1 PYTHONDONTWRITEBYTECODE=1 \
  python3 -m pytest -s -v -p no:cacheprovider tests/e2e/test_schedulers.py --junitxml="$log" || status=$?
python3 - "$log" <<'PY'
import sys, xml.etree.ElementTree as ET
p = f = s = 0
for case in ET.parse(sys.argv[1]).getroot().iter("testcase"):
    if case.find("failure") is not None or case.find("error") is not None: f += 1
    elif case.find("skipped") is not None: s += 1
    else: p += 1
print(f"total: {p} passed, {f} failed, {s} skipped")
PY
((status == 0)) || fail "tests/e2e/test_schedulers.py (exit $status)"
step "done"
