#!/usr/bin/env bash
# Installs the Debian packages smartcrop needs to build and run (with --test also the
# test tools; with --ci only what CI's fresh roots need on the host), and selects the
# OpenMP OpenBLAS: with Debian's reference BLAS one ViT-S/16 forward takes ~19 s instead
# of ~0.9 s. Safe to run again.
set -euo pipefail

packages=(build-essential cmake pkg-config
  libtorch-dev libopencv-dev opencv-data libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libexiv2-dev
  libjpeg-dev libpng-dev libwebp-dev
  libopenblas0-openmp python3-torch python3-numpy python3-opencv)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(libgtest-dev googletest python3-pytest python3-pil chromium libimage-exiftool-perl)
  # clang, and libFuzzer with the sanitizer runtimes (not pulled in without recommends):
  # scripts/fuzz.sh and the fuzz_smoke test.
  packages+=(clang libclang-rt-14-dev)
fi
if [[ "${1:-}" == "--test" || "${1:-}" == "--package" ]]; then
  # scripts/package.sh and its test: dpkg-shlibdeps, the man page, CPack's ELF check, man.
  packages+=(dpkg-dev help2man file man-db)
fi

if [[ "${1:-}" == "--ci" ]]; then
  # Only what scripts/fresh_machine.sh needs on the CI host: it builds and tests in
  # fresh Debian roots, each of which runs this script itself.
  packages=(debootstrap git)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# sudo only where it is there: a root shell (a container, a fresh machine) needs none.
as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else echo "smartcrop: installing packages needs root; run scripts/deps.sh as root" >&2; exit 1
  fi
}

if ((${#missing[@]})); then
  echo "smartcrop: installing ${missing[*]}" >&2
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Pin BLAS/LAPACK to the OpenMP OpenBLAS (the pthread build fights libtorch's OpenMP pool).
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
for lib in libblas.so.3 liblapack.so.3; do
  target=/usr/lib/$arch/openblas-openmp/$lib
  current=$(readlink -f "/usr/lib/$arch/$lib" 2>/dev/null || true)
  if [[ -e "$target" && "$current" != "$(readlink -f "$target")" ]]; then
    as_root update-alternatives --quiet --set "$lib-$arch" "$target"
  fi
done
