#!/usr/bin/env bash
# Installs smartcrop's Debian packages on a fresh Debian machine and uses them as a
# user would; then removes them and checks that nothing of them is left.
#   scripts/ci/check_packages.sh DEB_DIR [BUILD_SOURCE_DIR]
# DEB_DIR holds smartcrop_*.deb and smartcrop-dino_*.deb (scripts/package.sh). The DINO
# model comes the way a user gets it: `smartcrop-model fetch` from an HTTP server started
# here (Python's http.server on 127.0.0.1) serving a checkpoint with DINO's parameter names
# and random weights. BUILD_SOURCE_DIR: the path the packages were built from, where a
# model is put (DEB_DIR/*.pt, or any file) to show that the installed engine never looks
# there.
# Run as root in a throwaway root (it installs and purges packages): CI runs it in a
# fresh `debootstrap --variant=minbase bookworm` root. Needs only what minbase has.
# Prints one line per step with its time; exits 1 at the first step that fails.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8

started=$(date +%s)
step() { printf '[%4ss] %s\n' "$(($(date +%s) - started))" "$*"; }
fail() { echo "check_packages: FAILED: $*" >&2; exit 1; }

debs=$(realpath "${1:?usage: check_packages.sh DEB_DIR [BUILD_SOURCE_DIR]}")
build_source=${2:-}
shopt -s nullglob
main_deb=("$debs"/smartcrop_*.deb) dino_deb=("$debs"/smartcrop-dino_*.deb) decoy=("$debs"/*.pt)
((${#main_deb[@]} == 1 && ${#dino_deb[@]} == 1)) || fail "$debs needs one smartcrop_*.deb and one smartcrop-dino_*.deb"
main_deb=${main_deb[0]} dino_deb=${dino_deb[0]}
work=$(mktemp -d)
server=""
trap '[[ -n $server ]] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
# Every path under the places a package writes, for the before/after comparison.
snapshot() { find /usr /etc /var/lib/dpkg/info -xdev 2>/dev/null | sort; }
packages() { dpkg-query -W -f '${Package}\n' | sort; }
user_model=$HOME/.local/share/smartcrop/models/dino_vits16.pt
system_model=/var/lib/smartcrop/models/dino_vits16.pt

step "apt-get update; man-db, as a user who reads man pages has it"
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends man-db >/dev/null
snapshot >"$work/before"
packages >"$work/packages-before"

step "apt-get install $main_deb"
apt-get install -y -q "$main_deb" >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "install smartcrop"; }
grep -E '^([0-9]+ upgraded|Need to get|After this operation)' "$work/install.log" || true
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
if [[ -n $build_source ]]; then
  # A model where the build's source tree keeps one: a build tree would load it, the package must not.
  mkdir -p "$build_source/models"
  if ((${#decoy[@]})); then cp "${decoy[0]}" "$build_source/models/dino_vits16.pt"; else echo model >"$build_source/models/dino_vits16.pt"; fi
  echo "  a model at the build's path: $build_source/models/dino_vits16.pt"
fi
smartcrop photo.jpg --ratio 16:9 -o out.jpg --json >out.json 2>err.txt
cat err.txt
cut -c1-300 out.json
# Without a model it says where it looked (the user's and the system folder, not the build's
# tree) and what brings DINO: the package smartcrop-dino, not to be installed yet.
grep -q "^warning: no DINO model found (looked for $user_model and $system_model); the DINO backend and its model command smartcrop-model come with the package smartcrop-dino; using the built-in saliency" err.txt \
  || fail "the no-model warning does not name the two folders and smartcrop-dino"
! grep -q -e export_model -e "${build_source:-/nonexistent}" err.txt || fail "the installed engine names the build's tree"
[[ $(od -An -tx1 -N3 out.jpg | tr -d ' ') == ffd8ff ]] || fail "out.jpg is not a JPEG"
read -r x y w h < <(sed -n 's/.*"box":\[\([0-9]*\),\([0-9]*\),\([0-9]*\),\([0-9]*\)\].*/\1 \2 \3 \4/p' out.json)
echo "crop box: x=$x y=$y ${w}x$h"
((w == 640 && h == 360)) || fail "the 16:9 crop of a 640x480 photo is ${w}x$h, not 640x360"
((y <= 240 - 60 && y + h >= 240 + 60)) || fail "the crop (y $y..$((y + h))) cuts the subject (y 180..300)"
grep -q '"backend":"saliency"' out.json || fail "not cropped with the built-in saliency backend"

step "man smartcrop"
MANWIDTH=80 man -P cat smartcrop >man.txt 2>/dev/null || fail "man smartcrop"
sed -n '/^DESCRIPTION/,/Positionals/p' man.txt
grep -q -- '--ratio' man.txt || fail "the man page does not describe --ratio"
grep -qx ' *smartcrop photos/\*.jpg --ratio 16:9 --ratio 1:1 -o thumbs/' man.txt || fail "man smartcrop runs the examples together"

step "apt-get install $dino_deb"
apt-get install -y -q "$dino_deb" >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "install smartcrop-dino"; }
grep -E '^([0-9]+ upgraded|Need to get|After this operation)' "$work/install.log" || true
if ldd /usr/libexec/smartcrop/libsmartcrop_dino.so | grep 'not found'; then fail "libsmartcrop_dino.so: libraries not installed"; fi

step "smartcrop -v: where it looks for a model"
{ smartcrop -v 2>&1 || true; } | grep -E '^info: (DINO model lookup|  [0-9]\.)' | tee lookup.txt
[[ $(grep -c '^info:   [0-9]\.' lookup.txt) == 4 ]] || fail "smartcrop -v does not list the four places"
! grep -q "source tree" lookup.txt || fail "the installed engine looks in a source tree"

# A checkpoint as the DINO authors publish it (a state dict with their names), random weights:
# made with the network the package installed.
step "a local HTTP server with a checkpoint: python3 -m http.server on 127.0.0.1"
mkdir -p served
python3 -B -c 'import sys; sys.path.insert(0, "/usr/share/smartcrop/python")
import torch, dino_vit
torch.manual_seed(0)
torch.save(dino_vit.build_vit("vit_small", dino_init=False).state_dict(), "served/dino_deitsmall16_pretrain.pth")'
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd served && exec python3 -m http.server --bind 127.0.0.1 "$port" >/dev/null 2>&1) &
server=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
url=http://127.0.0.1:$port/dino_deitsmall16_pretrain.pth
ls -l served

step "smartcrop-model fetch --url $url"
smartcrop-model fetch --url "$url" | tee receipt.txt
[[ -f $user_model ]] || fail "no model at $user_model"
grep -qx "sha256: $(sha256sum served/*.pth | cut -d' ' -f1)" receipt.txt || fail "the receipt's SHA-256 is not the checkpoint's"

step "smartcrop photo.jpg --ratio 16:9 -o out.jpg (no other flag)"
smartcrop photo.jpg --ratio 16:9 -o dino.jpg --json >dino.json 2>dino.err
cat dino.err
cut -c1-300 dino.json
grep -q '"backend":"dino"' dino.json || fail "not cropped with the dino backend"
# smartcrop-dino Recommends the OpenMP OpenBLAS: on the reference BLAS LibTorch is ~20x slower.
! grep -q 'reference BLAS' dino.err || fail "LibTorch runs on the reference BLAS after apt-get install"
[[ $(od -An -tx1 -N3 dino.jpg | tr -d ' ') == ffd8ff ]] || fail "dino.jpg is not a JPEG"
{ smartcrop -v 2>&1 || true; } | grep -E '^info:   [0-9]\.'

step "smartcrop-model info"
smartcrop-model info | tee info.txt
grep -q "weights: the checkpoint $url, sha256 " info.txt || fail "info does not say where the weights came from"

step "smartcrop-model fetch --system: refused for a user, done by root"
if setpriv --reuid=nobody --regid=nogroup --clear-groups smartcrop-model fetch --system --url "$url" 2>denied.txt; then
  fail "a user could write the system folder"
fi
cat denied.txt
grep -q 'needs root: sudo smartcrop-model fetch --system' denied.txt || fail "the refusal does not say it needs root"
smartcrop-model fetch --system --url "$url" >/dev/null
[[ $(stat -c %a "$system_model") == 644 && $(stat -c %a "$(dirname "$system_model")") == 755 ]] || fail "the system model is not readable by every user"
install -m 644 photo.jpg /tmp/photo-for-nobody.jpg
setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME=/nonexistent \
  smartcrop /tmp/photo-for-nobody.jpg -r 1:1 --json -o /tmp/nobody.jpg >nobody.json
grep -q '"backend":"dino"' nobody.json || fail "another user does not get the system model"

step "man smartcrop-model"
MANWIDTH=80 man -P cat smartcrop-model >man-model.txt 2>/dev/null || fail "man smartcrop-model"
head -n 12 man-model.txt
grep -q -- '--system' man-model.txt || fail "man smartcrop-model does not describe --system"

step "apt-get remove --purge smartcrop-dino smartcrop; apt-get autoremove --purge"
ours=$(dpkg -L smartcrop smartcrop-dino | sort -u)
apt-get remove --purge -y -q smartcrop-dino smartcrop >/dev/null
apt-get autoremove --purge -y -q >"$work/autoremove.log" 2>&1
grep -E '^[0-9]+ upgraded' "$work/autoremove.log" || true
snapshot >"$work/after"
left=$(grep -i smartcrop "$work/after" || true)
[[ -z "$left" ]] || fail "left behind: $left"
# The models are the user's and the administrator's, not the packages': they stay.
[[ -f $user_model && -f $system_model ]] || fail "purging removed a model it does not own"
echo "  kept: $user_model, $system_model"
for path in $ours; do
  [[ -d $path && ! -L $path ]] && continue  # shared folders (/usr/bin) stay
  [[ ! -e $path ]] || fail "left behind: $path"
done
# What the dependencies leave is listed: autoremove keeps a package that an installed one
# Recommends or Suggests (APT::AutoRemove::SuggestsImportant is true by default), and the base
# system's do: apt Recommends ca-certificates and Suggests dpkg-dev (which Recommends
# build-essential) and gnupg. Nothing we pulled in may stay for any other reason (marked as
# installed by hand, a dependency of ours left): with those two rules off, autoremove must
# bring the package list back to what it was before the install.
kept=$(packages | comm -13 "$work/packages-before" - | tr '\n' ' ')
echo "  packages installed now that were not before: ${kept:-none}"
if [[ -n $kept ]]; then
  for p in $kept; do
    why=$(apt-cache rdepends --installed --recommends --suggests --no-depends --no-pre-depends "$p" 2>/dev/null |
      sed -n '3,$p' | tr -d ' |' | grep -vx "$p" | head -n 3 | tr '\n' ' ' || true)
    case $p in build-essential|ca-certificates|gnupg|dpkg-dev|systemd) echo "    $p: kept for ${why:-?}";; esac
  done
  apt-get autoremove --purge -y -q -o APT::AutoRemove::SuggestsImportant=false \
    -o APT::AutoRemove::RecommendsImportant=false >"$work/autoremove-strict.log" 2>&1
  grep -E '^[0-9]+ upgraded' "$work/autoremove-strict.log" || true
  stuck=$(packages | comm -13 "$work/packages-before" - | tr '\n' ' ')
  [[ -z $stuck ]] || fail "installed with the packages and not removable even when nothing suggests them: $stuck"
  echo "  with Recommends and Suggests not counted, autoremove leaves no package the install brought"
fi
{ comm -3 "$work/before" "$work/after" | grep -v -e /etc/ssl -e ca-certificates -e openssl -e libssl || true; } |
  sed 's/^\t*/  path that differs from before: /' | head -n 10 || true
step "done: installed, used and purged cleanly"
