#!/usr/bin/env bash
# Builds the DINO plugin against Debian 13's CUDA LibTorch (libtorch-cuda-dev 2.6, in contrib)
# in a fresh Debian 13 root (scripts/fresh_machine.sh), and copies the plugin and the build log
# out to OUT_DIR (default build-cuda-trixie/). Needs root, network to deb.debian.org, ~10 GB of
# disk and a few GB of downloads (apt resolves libtorch-cuda-dev to ~237 packages: the CUDA 12.4
# libraries, NCCL, ...). No GPU is needed to build.
#
# cuDNN: Debian's `nvidia-cudnn` (non-free) is an installer that downloads cuDNN from NVIDIA
# when it is configured, which cannot finish here. libtorch-cuda-2.6 depends on it, so the root
# installs an empty placeholder package of that name and version instead (made with dpkg-deb
# below). Compiling and linking the plugin needs no cuDNN (no smartcrop source includes it and
# a shared library may leave libtorch_cuda's own dependencies open); *loading* it needs
# libcudnn.so.9, a NEEDED entry of libtorch_cuda.so (scripts/gpu/cuda_libs_probe.sh,
# docs/PERFORMANCE.md "Building against a CUDA LibTorch"), from the real nvidia-cudnn on a
# machine that can reach NVIDIA, or NVIDIA's packages: without it the plugin does not open, not
# even for --device cpu, and smartcrop says so naming libcudnn.so.9.
#
# Tried once (2026-12-04, without nvidia-cuda-toolkit): the placeholder let apt install 607
# packages (libtorch-cuda-dev among them) in 634 s; CMake then stopped in Caffe2Config.cmake,
# "Your installed Caffe2 version uses CUDA but I cannot find the CUDA libraries" (no nvcc), so
# the root now installs nvidia-cuda-toolkit too (smartcrop's configure now stops first, in one
# line naming that package). A build with it is still to be seen through.
#
#   sudo bash scripts/gpu/build_cuda_trixie.sh [OUT_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/build-cuda-trixie}
mkdir -p "$out"
exec "$root/scripts/fresh_machine.sh" --components "main contrib non-free" \
  --copy-out "build-cuda/libsmartcrop_dino.so:$out" --copy-out "build-cuda/cuda-build.log:$out" \
  trixie -- bash scripts/gpu/cuda_root_build.sh
