#!/usr/bin/env bash
# Inside a fresh Debian 13 root with contrib and non-free (scripts/fresh_machine.sh): what
# Debian's CUDA LibTorch (libtorch-cuda-dev 2.6) needs at load, and what smartcrop's configure
# says without the CUDA toolkit (issue 25). Installs libtorch-cuda-dev with an empty stand-in
# for the nvidia-cudnn installer (scripts/gpu/cuda_root_build.sh says why), no nvidia-cuda-toolkit;
# prints readelf/ldd of libtorch_cuda, a dlopen of it, and the configure's message. The log
# goes to cuda-libs.log in the clone.
#   scripts/fresh_machine.sh --components "main contrib non-free" --copy-out "cuda-libs.log:OUT" \
#     trixie -- bash scripts/gpu/cuda_libs_probe.sh
set -uo pipefail
exec > >(tee cuda-libs.log) 2>&1
step() { echo; echo "== $* ($(date +%T))"; }
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
step "the nvidia-cudnn installer and a stand-in for it"
apt-cache show nvidia-cudnn | grep -E "^(Package|Version|Section|Depends|Description)" | head -6
version=$(apt-cache show nvidia-cudnn | awk '/^Version:/{print $2; exit}')
p=$(mktemp -d); mkdir -p "$p/DEBIAN"
printf 'Package: nvidia-cudnn\nVersion: %s\nArchitecture: amd64\nMaintainer: smartcrop probe <none@localhost>\nDescription: stand-in: cuDNN is not installed\n' "$version" > "$p/DEBIAN/control"
dpkg-deb --build "$p" /tmp/nvidia-cudnn-stand-in.deb >/dev/null
step "install libtorch-cuda-dev (no nvidia-cuda-toolkit) and smartcrop's other build dependencies"
start=$(date +%s)
apt-get install -y -q --no-install-recommends /tmp/nvidia-cudnn-stand-in.deb libtorch-cuda-dev g++ cmake make \
  pkg-config libopencv-dev libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libexiv2-dev libjpeg-dev \
  libpng-dev libwebp-dev python3 >/tmp/apt.log 2>&1 || { tail -20 /tmp/apt.log; exit 1; }
echo "apt: $(dpkg -l | grep -c '^ii') packages installed in $(( $(date +%s) - start )) s"
dpkg -l | awk '/^ii/ && $2 ~ /libtorch/ {print $2, $3}'
lib=$(ls /usr/lib/x86_64-linux-gnu/libtorch_cuda.so* | head -1)
step "readelf -d $lib | grep NEEDED"
readelf -d "$lib" | grep NEEDED
step "ldd $lib | grep -E 'not found|cudnn|libcuda\\.'"
ldd "$lib" | grep -E "not found|cudnn|libcuda\." || echo "(nothing)"
step "which package has libcudnn.so.9"
dpkg -S 'libcudnn.so*' 2>&1 | head -3
step "dlopen libtorch_cuda (what loading a plugin linked against it does)"
python3 -c "import ctypes; ctypes.CDLL('$lib')" 2>&1 | tail -1
step "Caffe2Config.cmake: is it a CUDA build"
grep -n "CAFFE2_USE_CUDA ON\|CAFFE2_USE_CUDNN ON" /usr/lib/x86_64-linux-gnu/cmake/Caffe2/Caffe2Config.cmake
command -v nvcc || echo "no nvcc on PATH"
step "configure smartcrop (the committed clone) without the CUDA toolkit"
cmake -S . -B build-cuda -DSMARTCROP_BUILD_TESTS=OFF 2>&1 | tail -12
echo "cmake exit ${PIPESTATUS[0]}"
