#!/usr/bin/env bash
# Makes the Debian packages smartcrop and smartcrop-dino with CPack (packaging/packaging.cmake).
#   scripts/package.sh [BUILD_DIR [OUT_DIR]]
# BUILD_DIR: the build to package (default build/; configured here, without the tests,
# if it does not exist). Any build works: the engine finds its data relative to itself.
# OUT_DIR: where the .deb files go (default BUILD_DIR/packages/). Needs dpkg-shlibdeps,
# help2man and file: scripts/deps.sh --package (or --test) installs them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath -m "${1:-$root/build}")
out=$(realpath -m "${2:-$build/packages}")

for tool in dpkg-shlibdeps help2man file cpack; do
  if ! command -v "$tool" >/dev/null; then
    echo "smartcrop: package.sh needs $tool; run scripts/deps.sh --package" >&2
    exit 2
  fi
done

# A new build is configured; an existing one again only if its configure missed help2man.
if [[ ! -f "$build/CMakeCache.txt" ]]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSMARTCROP_BUILD_TESTS=OFF >/dev/null
elif grep -q '^SMARTCROP_HELP2MAN:FILEPATH=.*NOTFOUND' "$build/CMakeCache.txt"; then
  cmake "$build" >/dev/null
fi
cmake --build "$build" -j "${SMARTCROP_JOBS:-$(nproc)}" --target smartcrop smartcrop_man smartcrop_package_files

mkdir -p "$out"
rm -f "$out"/smartcrop_*.deb "$out"/smartcrop-dino_*.deb
log="$build/cpack.log"
if ! cpack --config "$build/CPackConfig.cmake" -B "$out" >"$log" 2>&1; then
  cat "$log" >&2
  echo "smartcrop: cpack failed (log: $log)" >&2
  exit 1
fi
rm -rf "$out/_CPack_Packages"
for deb in "$out"/*.deb; do
  printf '%s  %s\n' "$(du -h "$deb" | cut -f1)" "$deb"
  dpkg-deb -f "$deb" Depends | sed 's/^/  Depends: /'
done
