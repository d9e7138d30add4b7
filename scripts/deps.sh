#!/usr/bin/env bash
# Installs the Debian packages smartcrop needs to build and run it, on Debian 12
# (bookworm) and 13 (trixie): with --test also the test and packaging tools, with
# --package the packaging tools, with --ci only what CI's fresh roots need on the host.
# Selects the OpenMP OpenBLAS: with Debian's reference BLAS one ViT-S/16 forward takes
# ~19 s instead of ~0.9 s. Safe to run again.
#   scripts/deps.sh [--test | --package | --ci]
set -euo pipefail

# The release, from /etc/os-release (a subshell, so its variables stay there).
release=$( . /etc/os-release 2>/dev/null && echo "${ID:-}:${VERSION_CODENAME:-}:${VERSION_ID:-}" ) || release="::"
name=$( . /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-}" ) || name=""

# The same names on Debian 12 and 13 (12: LibTorch 1.13, OpenCV 4.6, exiv2 0.27, gcc 12;
# 13: LibTorch 2.6, OpenCV 4.10, exiv2 0.28, gcc 14).
packages=(build-essential cmake pkg-config
  libtorch-dev libopencv-dev opencv-data libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libexiv2-dev
  libjpeg-dev libpng-dev libwebp-dev
  libopenblas0-openmp python3-torch python3-numpy python3-opencv)
test_packages=(libgtest-dev googletest python3-pytest python3-pil chromium libimage-exiftool-perl clang)
# scripts/package.sh and its test: dpkg-shlibdeps, the man page, CPack's ELF check, man, lintian.
package_packages=(dpkg-dev help2man file man-db lintian)

if [[ "${1:-}" == "--ci" ]]; then
  # Only what scripts/fresh_machine.sh needs on the CI host: it builds and tests in
  # fresh Debian roots, each of which runs this script itself.
  packages=(debootstrap git)
else
  # What differs: libFuzzer and the sanitizer runtimes of each release's default clang
  # (scripts/ci/fuzz.sh and the fuzz_smoke test; not pulled in without recommends).
  case "$release" in
    debian:bookworm:* | debian::12)
      test_packages+=(libclang-rt-14-dev) ;;
    debian:trixie:* | debian::13)
      test_packages+=(libclang-rt-19-dev) ;;
    *)
      echo "smartcrop: scripts/deps.sh supports Debian 12 (bookworm) and Debian 13 (trixie), not ${name:-this system (no /etc/os-release)}; install the packages it lists by hand" >&2
      exit 2 ;;
  esac
  if [[ "${1:-}" == "--test" ]]; then
    packages+=("${test_packages[@]}" "${package_packages[@]}")
  elif [[ "${1:-}" == "--package" ]]; then
    packages+=("${package_packages[@]}")
  elif [[ -n "${1:-}" ]]; then
    echo "smartcrop: unknown option '$1'; usage: scripts/deps.sh [--test | --package | --ci]" >&2
    exit 2
  fi
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
