#!/usr/bin/env bash
# Inside a fresh Debian 13 root (scripts/gpu/build_cuda_trixie.sh): installs the build
# dependencies with libtorch-cuda-dev in place of libtorch-dev, a placeholder for the
# nvidia-cudnn installer, configures without tests and builds the DINO plugin.
set -euo pipefail
mkdir -p build-cuda
exec > >(tee build-cuda/cuda-build.log) 2>&1
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
version=$(apt-cache show nvidia-cudnn | awk '/^Version:/{print $2; exit}')
echo "placeholder for nvidia-cudnn $version (the installer downloads from NVIDIA)"
p=$(mktemp -d); mkdir -p "$p/DEBIAN"
printf 'Package: nvidia-cudnn\nVersion: %s\nArchitecture: amd64\nMaintainer: smartcrop build <none@localhost>\nDescription: placeholder: cuDNN is not installed (scripts/gpu/build_cuda_trixie.sh)\n' "$version" > "$p/DEBIAN/control"
dpkg-deb --build "$p" /tmp/nvidia-cudnn-placeholder.deb
start=$(date +%s)
apt-get install -y -q --no-install-recommends /tmp/nvidia-cudnn-placeholder.deb libtorch-cuda-dev nvidia-cuda-toolkit \
  g++ cmake make pkg-config libopencv-dev libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libexiv2-dev \
  libjpeg-dev libpng-dev libwebp-dev
echo "apt: $(dpkg -l | grep -c '^ii') packages installed in $(( $(date +%s) - start )) s"
cmake -S . -B build-cuda -DCMAKE_BUILD_TYPE=Release -DSMARTCROP_BUILD_TESTS=OFF
cmake --build build-cuda -j "$(nproc)" --target smartcrop_dino
readelf -d build-cuda/libsmartcrop_dino.so | grep NEEDED
readelf -d build-cuda/libsmartcrop_dino.so | grep -q 'libtorch_cuda' && echo "the plugin links libtorch_cuda"
