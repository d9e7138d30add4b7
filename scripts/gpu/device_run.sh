#!/bin/bash
# One call on a lent GPU machine (torch with CUDA from pip, g++, no Debian packages of ours):
# builds the DINO plugin against that torch's LibTorch, checks GPU against CPU attention (fp32,
# boxes equal), and runs scripts/bench/bench_gpu.py. Needs .gpu/pkg.tar.xz from
#   bash scripts/gpu/make_device_pkg.sh build .gpu/pkg.tar.xz     (on Debian 12, after a build)
# and is run from the repository root by the device tool with carry [".gpu"]:
#   bash scripts/gpu/device_run.sh            (PHOTOS=5000 BATCHES=1,32,64,128 by default)
# Test it on the CPU first: TORCH_PREFIX=/usr SKIP_GPU=1 bash scripts/gpu/device_run.sh
# Everything it prints goes to $OUT/log.txt too.
set -u
R=$(pwd); W=${WORK:-/tmp/smartcrop-gpu}; O=${OUT:-/tmp/smartcrop-gpu-out}
PHOTOS=${PHOTOS:-5000}; BATCHES=${BATCHES:-1,32,64,128}; JOBS=${JOBS:-$(nproc)}
rm -rf "$W"; mkdir -p "$W" "$O"; tar -xJf .gpu/pkg.tar.xz -C "$W" || exit 1
exec > >(tee "$O/log.txt") 2>&1
step() { echo; echo "== $* ($(date +%T))"; }
step machine
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "no nvidia-smi"
nproc; g++ --version | head -1; head -2 /etc/os-release
if [ -n "${TORCH_PREFIX:-}" ]; then TI="$TORCH_PREFIX/include"; TL="$TORCH_PREFIX/lib/x86_64-linux-gnu"; PY=/usr/bin/python3
else TORCH=$(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__))'); TI="$TORCH/include"; TL="$TORCH/lib"; PY=python3; fi
$PY -c 'import torch;print("torch",torch.__version__,"cuda",torch.version.cuda,"available",torch.cuda.is_available())'

step "export the random-weight ViT-S/16 with this torch (SDPA where >= 2.0) and a plain one"
cd "$W/proj"
$PY scripts/export_model.py --random-init --seed 0 -o "$W/m.pt" 2>&1 | tail -1
$PY scripts/export_model.py --random-init --seed 0 --plain -o "$W/plain.pt" 2>&1 | tail -1

step "build the DINO plugin against this LibTorch ($JOBS jobs)"
H=$W/hdr/usr/include
SRC="$(ls src/model/*.cpp) src/error.cpp src/saliency/backend.cpp src/saliency/precision.cpp src/saliency/head_combine.cpp $(ls src/window/*.cpp)"
mkdir -p "$W/obj"
echo $SRC | tr ' ' '\n' | xargs -P "$JOBS" -I{} sh -c 'o='"$W"'/obj/$(echo {} | tr / _).o; g++ -O2 -std=c++17 -fPIC -fvisibility=hidden -fvisibility-inlines-hidden -D_GLIBCXX_USE_CXX11_ABI=1 -Iinclude -Isrc -I'"$H"'/opencv4 -I'"$H"' -I'"$TI"' -I'"$TI"'/torch/csrc/api/include -c {} -o $o > $o.log 2>&1 || { echo "FAILED {}"; grep -m5 error $o.log; }'
CUDA_LIBS=""; [ -e "$TL/libtorch_cuda.so" ] && CUDA_LIBS="-Wl,--no-as-needed -ltorch_cuda -lc10_cuda -Wl,--as-needed"
g++ -shared -o "$W/libsmartcrop_dino.so" "$W"/obj/*.o -L"$W/libs" -lopencv_imgproc -lopencv_core -lfmt \
  -L"$TL" -ltorch $CUDA_LIBS -ltorch_cpu -lc10 -Wl,--no-undefined -Wl,-rpath,"$TL" 2>&1 | grep -m10 -E 'error|undefined'
ls -la "$W/libsmartcrop_dino.so" || exit 1
export LD_LIBRARY_PATH=$W/libs:$TL
E=$W/smartcrop
mkdir -p "$W/few"; $PY -c "
import cv2, numpy as np
for i, (w, h) in enumerate([(864, 576), (816, 612), (576, 864), (1200, 400), (700, 700), (864, 576)] * 2):
    rng = np.random.default_rng(i); img = cv2.resize(rng.integers(30, 220, (h // 48 + 2, w // 48 + 2, 3), dtype=np.uint8), (w, h))
    cv2.circle(img, (int(rng.integers(w // 5, 4 * w // 5)), h // 2), min(w, h) // 7, (30, 40, 240), -1)
    cv2.imwrite('$W/few/p%02d.jpg' % i, img)"

step "the device line: auto, cuda, and a missing device"
$E "$W/few/p00.jpg" --backend dino --model "$W/m.pt" --ratio 1:1 -o "$W/o_auto.jpg" -v 2>&1 | grep -E "device|loaded|error"
$E "$W/few/p00.jpg" --backend dino --model "$W/m.pt" --device cuda:7 --ratio 1:1 -o "$W/o7.jpg"; echo "cuda:7 exit $?"
if [ -z "${SKIP_GPU:-}" ]; then
  step "GPU against CPU, fp32: attention and boxes (SDPA file, then plain file)"
  $PY scripts/compare_devices.py "$E" "$W/m.pt" "$W/few" "$W/cmp1" --devices cuda,cpu --batch-size 8
  $PY scripts/compare_devices.py "$E" "$W/plain.pt" "$W/few" "$W/cmp2" --devices cuda,cpu --batch-size 8
  step "bf16 weights on the GPU against fp32 on the CPU: boxes"
  $E "$W/few" --backend dino --model "$W/m.pt" --device cuda --ratio 16:9,1:1 --json 2>/dev/null | $PY -c "import sys,json;print([c['box'] for r in map(json.loads,sys.stdin) for c in r['crops']][:6])"
  step "bench_gpu.py: $PHOTOS photos, batches $BATCHES"
  $PY scripts/bench/bench_gpu.py --bin "$E" --model "$W/m.pt" --photos "$PHOTOS" --batch-sizes "$BATCHES" --work "$W/bench"
  step "bench_gpu.py with the plain (no SDPA) file, batch 64"
  $PY scripts/bench/bench_gpu.py --bin "$E" --model "$W/plain.pt" --photos "$PHOTOS" --batch-sizes 64 --work "$W/bench"
else
  step "CPU check of the same steps (SKIP_GPU)"
  $PY scripts/compare_devices.py "$E" "$W/m.pt" "$W/few" "$W/cmp1" --devices cpu,cpu --batch-size 4
  $PY scripts/bench/bench_gpu.py --bin "$E" --model "$W/m.pt" --photos 16 --forward-photos 8 --batch-sizes 1,4 --work "$W/bench"
fi
step done
