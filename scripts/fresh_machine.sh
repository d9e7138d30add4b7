#!/usr/bin/env bash
# Runs a command on a fresh Debian machine: a pristine `debootstrap --variant=minbase`
# root (plus git and ca-certificates), into which the commit under test is cloned, used
# as root through chroot. A clone on a development machine is not a fresh machine: it
# still has every package installed by hand, and that has hidden missing install steps.
#
#   scripts/fresh_machine.sh [options] SUITE -- COMMAND...
#
#   SUITE                 bookworm (Debian 12) or trixie (Debian 13)
#   --commit REV          the commit to clone (default HEAD of this repository)
#   --install "PKG..."    packages installed before COMMAND, as a user would have them
#                         (e.g. "sudo")
#   --components "C..."   apt components (default "main"; "main contrib non-free" for CUDA)
#   --copy-in HOST:DIR    copy a host file or folder into the root at DIR before COMMAND
#   --copy-out PATH:HOST  after COMMAND (also when it fails), copy PATH (relative to the
#                         clone, globs allowed) out of the root into the host folder HOST
#   --keep                leave the root in place (its path is printed) instead of deleting it
#
# COMMAND runs with bash in the clone (/root/smartcrop) with a clean environment; its exit
# status is this script's. Only the minbase tarball is cached between runs
# ($SMARTCROP_ROOT_CACHE, default /var/cache/smartcrop-roots, at most 7 days old); every
# package beyond minbase is installed from the archive each time.
#
# Mounts (/proc, /sys, /dev, /dev/pts, /dev/shm) are undone on every exit path, failure and
# interrupt included, and a root is deleted only when nothing is mounted in it any more
# (`rm --one-file-system`): deleting through a bind mount of /dev would delete the host's.
set -euo pipefail

usage() { sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
die() { echo "fresh_machine: $*" >&2; exit 2; }

repo=$(cd "$(dirname "$0")/.." && pwd)
commit=HEAD install="" components="main" keep=0
copy_in=() copy_out=()
while (($#)); do
  case "$1" in
    --commit) commit=$2; shift 2 ;;
    --install) install=$2; shift 2 ;;
    --components) components=$2; shift 2 ;;
    --copy-in) copy_in+=("$2"); shift 2 ;;
    --copy-out) copy_out+=("$2"); shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) usage ;;
    --) shift; break ;;
    -*) die "unknown option $1" ;;
    *) suite=$1; shift ;;
  esac
done
[[ -n "${suite:-}" && $# -gt 0 ]] || usage
case "$suite" in bookworm|trixie) ;; *) die "unknown suite '$suite' (bookworm or trixie)" ;; esac
[[ $(id -u) -eq 0 ]] || die "needs root (debootstrap, mount, chroot)"
for tool in debootstrap chroot findmnt git; do
  command -v "$tool" >/dev/null || die "needs $tool (apt-get install debootstrap util-linux git)"
done
sha=$(git -C "$repo" rev-parse --verify "$commit^{commit}") || die "no commit $commit in $repo"
mirror=${SMARTCROP_DEBIAN_MIRROR:-http://deb.debian.org/debian}

# The cached minbase tarball: made once with debootstrap, reused for a week.
cache=${SMARTCROP_ROOT_CACHE:-/var/cache/smartcrop-roots}
child="" root="" scratch=""

# Mounts below a folder, deepest first.
mounts_in() { findmnt -rn -o TARGET | awk -v r="$1/" 'index($0 "/", r) == 1' | sort -r; }

# Unmounts everything below $1 and deletes it; refuses (exit 70) if something stays mounted.
remove_tree() {
  local dir=$1 left
  [[ -n $dir && -e $dir ]] || return 0
  for p in /proc/[0-9]*; do  # anything still running inside (a daemon a test left)
    [[ $(readlink "$p/root" 2>/dev/null) == "$dir" ]] && kill -KILL "${p#/proc/}" 2>/dev/null || true
  done
  while read -r m; do [[ -n $m ]] && umount -l "$m" 2>/dev/null || true; done < <(mounts_in "$dir")
  left=$(mounts_in "$dir")
  if [[ -n $left ]]; then
    echo "fresh_machine: still mounted in $dir, NOT deleting it:" >&2; echo "$left" >&2
    return 70
  fi
  rm -rf --one-file-system "$dir"
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM HUP
  if [[ -n $child ]] && kill -0 "$child" 2>/dev/null; then
    kill -TERM -- "-$child" 2>/dev/null || true
    sleep 2; kill -KILL -- "-$child" 2>/dev/null || true
  fi
  remove_tree "$scratch" || status=70
  rm -f "$scratch.log"
  if ((keep)) && [[ -n $root ]]; then
    echo "fresh_machine: root kept at $root (unmount with: findmnt -R $root)" >&2
  else
    remove_tree "$root" || status=70
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

tarball=$cache/$suite-minbase.tar
mkdir -p "$cache"
if [[ ! -s $tarball ]] || [[ -n $(find "$tarball" -mtime +7) ]]; then
  echo "fresh_machine: debootstrap --variant=minbase $suite (cached in $tarball)" >&2
  scratch=$(mktemp -d "${TMPDIR:-/var/tmp}/minbase-$suite.XXXXXX")
  chmod 755 "$scratch"
  setsid debootstrap --variant=minbase "$suite" "$scratch" "$mirror" >"$scratch.log" 2>&1 </dev/null &
  child=$!
  if ! wait "$child"; then tail -20 "$scratch.log" >&2; die "debootstrap $suite failed"; fi
  child=""
  [[ -z $(mounts_in "$scratch") ]] || die "debootstrap left mounts in $scratch"
  tar -C "$scratch" -cf "$tarball.new" . && mv "$tarball.new" "$tarball"
  remove_tree "$scratch"; rm -f "$scratch.log"; scratch=""
fi

root=$(mktemp -d "${TMPDIR:-/var/tmp}/fresh-$suite.XXXXXX")

tar -C "$root" -xf "$tarball"
chmod 755 "$root"  # apt drops to the _apt user for downloads
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"
mount -t tmpfs -o mode=1777,nosuid,nodev shm "$root/dev/shm"
cp /etc/resolv.conf "$root/etc/resolv.conf"
{
  echo "deb $mirror $suite $components"
  echo "deb $mirror $suite-updates $components"
  echo "deb http://deb.debian.org/debian-security $suite-security $components"
} >"$root/etc/apt/sources.list"
rm -f "$root/etc/apt/sources.list.d/"*.sources
# A chroot has no init: keep daemons that packages install from starting.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"; chmod +x "$root/usr/sbin/policy-rc.d"

in_root() {
  chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" CI="${CI:-}" \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    bash -c "$1"
}
export -f in_root; export root
# Each step runs in its own session and is waited for in the background, so that a signal
# reaches the traps at once (bash defers traps while a foreground child runs) and the
# cleanup can stop the whole step.
run_in_root() {
  local status
  setsid bash -c 'in_root "$1"' _ "$1" </dev/null &
  child=$!
  wait "$child" && status=0 || status=$?
  child=""
  return "$status"
}

echo "fresh_machine: $suite root $root; installing git ca-certificates $install" >&2
run_in_root "apt-get update -qq && apt-get install -y -qq --no-install-recommends git ca-certificates $install >/dev/null" \
  || die "apt-get in the $suite root failed"
git clone -q --no-hardlinks "$repo" "$root/root/smartcrop"
git -C "$root/root/smartcrop" checkout -q --detach "$sha"
git -C "$root/root/smartcrop" remote remove origin
for spec in "${copy_in[@]}"; do
  mkdir -p "$root/${spec#*:}"; cp -a "${spec%%:*}" "$root/${spec#*:}/"
done

echo "fresh_machine: $suite at ${sha:0:12}: $*" >&2
run_in_root "cd /root/smartcrop && $*" && status=0 || status=$?
for spec in "${copy_out[@]}"; do
  mkdir -p "${spec#*:}"
  # shellcheck disable=SC2086  # the path may be a glob
  (cd "$root/root/smartcrop" && cp -a ${spec%%:*} "${spec#*:}/") || echo "fresh_machine: nothing to copy out at ${spec%%:*}" >&2
done
echo "fresh_machine: $suite: exit $status" >&2
exit "$status"
