#!/usr/bin/env bash
# Installs smartcrop's Debian packages on a fresh Debian machine and uses them as a
# user would; then removes them and checks that nothing of them is left.
#   scripts/ci/check_packages.sh DEB_DIR [MODEL]
# DEB_DIR holds smartcrop_*.deb and smartcrop-dino_*.deb (scripts/package.sh) and, unless
# MODEL names one, a TorchScript model *.pt (random weights do: build/test-models/
# tiny_random.pt, or scripts/export_model.py --arch tiny --random-init).
# Run as root in a throwaway root (it installs and purges packages): CI runs it in a
# fresh `debootstrap --variant=minbase bookworm` root. Needs only what minbase has.
# Prints one line per step with its time; exits 1 at the first step that fails.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8

started=$(date +%s)
step() { printf '[%4ss] %s\n' "$(($(date +%s) - started))" "$*"; }
fail() { echo "check_packages: FAILED: $*" >&2; exit 1; }

debs=$(realpath "${1:?usage: check_packages.sh DEB_DIR [MODEL]}")
shopt -s nullglob
main_deb=("$debs"/smartcrop_*.deb) dino_deb=("$debs"/smartcrop-dino_*.deb) model=("$debs"/*.pt)
((${#main_deb[@]} == 1 && ${#dino_deb[@]} == 1)) || fail "$debs needs one smartcrop_*.deb and one smartcrop-dino_*.deb"
((${#model[@]} >= 1 || $# > 1)) || fail "$debs has no TorchScript model (*.pt) and none was named"
main_deb=${main_deb[0]} dino_deb=${dino_deb[0]} model=$(realpath "${2:-${model[0]}}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Every path under the places a package writes, for the before/after comparison.
snapshot() { find /usr /etc /var/lib/dpkg/info -xdev 2>/dev/null | sort; }
packages() { dpkg-query -W -f '${Package}\n' | sort; }

step "apt-get update; man-db, as a user who reads man pages has it"
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends man-db >/dev/null
snapshot >"$work/before"
packages >"$work/packages-before"

step "apt-get install $main_deb"
apt-get install -y -q "$main_deb" >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "install smartcrop"; }
grep -E '^[0-9]+ upgraded' "$work/install.log" || true
for elf in /usr/libexec/smartcrop/smartcrop-engine /usr/libexec/smartcrop/libsmartcrop_imgcodecs.so; do
  if ldd "$elf" | grep 'not found'; then fail "$elf: libraries not installed"; fi
done

# A photo without Python or ImageMagick: a plain-text PPM (awk), a dull background with a
# bright checkered disc right of centre, made a JPEG by smartcrop itself (4:3 of a 4:3 photo
# is the whole photo; PPM goes through the imgcodecs plugin).
step "smartcrop photo.jpg --ratio 16:9 -o out.jpg"
cd "$work"
awk 'BEGIN { w = 640; h = 480; print "P3"; print w, h; print 255
  for (y = 0; y < h; y++) for (x = 0; x < w; x++) {
    d = (x - 480) ^ 2 + (y - 240) ^ 2
    if (d < 60 * 60) { if ((int(x / 8) + int(y / 8)) % 2) print 240, 30, 20; else print 255, 250, 240 }
    else print 100 + (x * 7 + y * 13) % 5, 110, 90 } }' >photo.ppm
smartcrop photo.ppm --ratio 4:3 -o photo.jpg
[[ $(od -An -tx1 -N3 photo.jpg | tr -d ' ') == ffd8ff ]] || fail "photo.jpg is not a JPEG"
smartcrop photo.jpg --ratio 16:9 -o out.jpg --json >out.json 2>err.txt
cat err.txt
cut -c1-300 out.json
# Without a model it says where a model would be: where the package looks, not the build's tree.
grep -q 'no DINO model at /usr/share/smartcrop/models/dino_vits16.pt' err.txt || fail "the warning does not name /usr/share/smartcrop/models/dino_vits16.pt"
[[ $(od -An -tx1 -N3 out.jpg | tr -d ' ') == ffd8ff ]] || fail "out.jpg is not a JPEG"
read -r x y w h < <(sed -n 's/.*"box":\[\([0-9]*\),\([0-9]*\),\([0-9]*\),\([0-9]*\)\].*/\1 \2 \3 \4/p' out.json)
echo "crop box: x=$x y=$y ${w}x$h"
((w == 640 && h == 360)) || fail "the 16:9 crop of a 640x480 photo is ${w}x$h, not 640x360"
((y <= 240 - 60 && y + h >= 240 + 60)) || fail "the crop (y $y..$((y + h))) cuts the subject (y 180..300)"
grep -q '"backend":"saliency"' out.json || fail "not cropped with the built-in saliency backend"

step "man smartcrop"
man -P cat smartcrop >man.txt 2>/dev/null || fail "man smartcrop"
head -n 8 man.txt
grep -q -- '--ratio' man.txt || fail "the man page does not describe --ratio"

step "apt-get install $dino_deb"
apt-get install -y -q "$dino_deb" >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "install smartcrop-dino"; }
grep -E '^[0-9]+ upgraded' "$work/install.log" || true
if ldd /usr/libexec/smartcrop/libsmartcrop_dino.so | grep 'not found'; then fail "libsmartcrop_dino.so: libraries not installed"; fi

step "smartcrop photo.jpg --backend dino --model $(basename "$model")"
smartcrop photo.jpg --ratio 1:1 --backend dino --model "$model" -o dino.jpg --json >dino.json 2>dino.err
cat dino.err
cut -c1-300 dino.json
# smartcrop-dino Recommends the OpenMP OpenBLAS: on the reference BLAS LibTorch is ~20x slower.
! grep -q 'reference BLAS' dino.err || fail "LibTorch runs on the reference BLAS after apt-get install"
grep -q '"backend":"dino"' dino.json || fail "not cropped with the dino backend"
[[ $(od -An -tx1 -N3 dino.jpg | tr -d ' ') == ffd8ff ]] || fail "dino.jpg is not a JPEG"

step "apt-get remove --purge smartcrop-dino smartcrop; apt-get autoremove --purge"
ours=$(dpkg -L smartcrop smartcrop-dino | sort -u)
apt-get remove --purge -y -q smartcrop-dino smartcrop >/dev/null
apt-get autoremove --purge -y -q >"$work/autoremove.log" 2>&1
grep -E '^[0-9]+ upgraded' "$work/autoremove.log" || true
snapshot >"$work/after"
left=$(grep -i smartcrop "$work/after" || true)
[[ -z "$left" ]] || fail "left behind: $left"
for path in $ours; do
  [[ -d $path && ! -L $path ]] && continue  # shared folders (/usr/bin) stay
  [[ ! -e $path ]] || fail "left behind: $path"
done
# What the dependencies leave is listed, not failed on: apt itself Recommends ca-certificates,
# so autoremove keeps it (with openssl, libssl3) once a dependency has pulled it in.
kept=$(packages | comm -13 "$work/packages-before" - | tr '\n' ' ')
echo "  packages installed now that were not before: ${kept:-none}"
{ comm -3 "$work/before" "$work/after" | grep -v -e /etc/ssl -e ca-certificates -e openssl -e libssl || true; } |
  sed 's/^\t*/  path that differs from before: /' | head -n 10 || true
step "done: installed, used and purged cleanly"
