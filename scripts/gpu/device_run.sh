#!/bin/bash
# One call on a lent GPU machine (torch with CUDA from pip, nvcc, g++, 16 cores, no Debian
# packages of ours), under 10 minutes, every part timed and bounded:
#   1. builds the DINO plugin against that torch's LibTorch (its C++ ABI from
#      torch.compiled_with_cxx11_abi(), CUDA libraries linked when it has them);
#   2. exports the GPU file (export_model.py --target gpu) and the CPU file (the default);
#   3. checks the device lines: auto, a CPU-shaped file on the GPU (one warning line),
#      --device cuda:7 (exit 2 naming it);
#   4. compares boxes and attention against the CPU in fp32: fp32, tf32 (the default), fp16
#      and bf16 on the GPU, and the CPU-shaped file (scripts/gpu/compare_devices.py);
#   5. out of memory: the CPU-shaped file (a tokens x tokens array per head) at an input size
#      chosen from the card's memory so that a batch of 128 cannot fit and a few photos can:
#      the log says the batch was split, and every photo is written;
#   6. scripts/bench/bench_gpu.py: 5,000 generated ~0.5 MP JPEGs, two crops each; the bare forward
#      at batch 1/8/32/64/128 in fp32/bf16/fp16 (and tf32 and the CPU file at 64); end to end
#      at batch 1/32/64/128 with the time per stage and the GPU memory (last: what the budget
#      leaves it; each run's figures are in the log as they come).
# Needs .gpu/pkg.tar.xz, made on Debian 12 after a build (scripts/gpu/make_device_pkg.sh), and
# runs from the repository root with carry [".gpu"]:
#   bash scripts/gpu/device_run.sh
# Rehearsal on the CPU, the same steps with small counts and Debian's LibTorch (the GPU file
# needs torch >= 2.0 to export: the CPU file stands in for it; out of memory comes from the
# allocator's test seam SMARTCROP_TEST_ALLOCATION_LIMIT_MB):
#   bash scripts/gpu/device_run.sh --rehearse
# Everything it prints goes to $OUT/log.txt; results to $OUT/*.json and $OUT/parts.txt. Each
# part's timeout is cut to what is left of BUDGET (570 s), so the call ends inside 10 minutes.
set -u
REHEARSE=0; [ "${1:-}" = "--rehearse" ] && REHEARSE=1
R=$(pwd); W=${WORK:-/tmp/smartcrop-gpu}; O=${OUT:-/tmp/smartcrop-gpu-out}
rm -rf "$W"; mkdir -p "$W" "$O"; tar -xJf .gpu/pkg.tar.xz -C "$W" || { echo "no .gpu/pkg.tar.xz"; exit 1; }
exec > >(tee "$O/log.txt") 2>&1
T0=$(date +%s); LAST=$T0; PART="start"; : > "$O/parts.txt"
BUDGET=${BUDGET:-570}  # seconds for the whole script: the device tool stops a call at 600
limit() {  # limit N: N seconds, or what is left of the budget if less (at least 1)
  local left=$((BUDGET - ($(date +%s) - T0))); [ "$left" -lt "$1" ] && echo $((left > 1 ? left : 1)) || echo "$1"
}
part() {  # part NAME: ends the part before (its time to parts.txt), starts NAME
  local now; now=$(date +%s)
  [ "$PART" != start ] && printf '%-40s %4d s\n' "$PART" $((now - LAST)) | tee -a "$O/parts.txt"
  PART=$1; LAST=$now; echo; echo "== $1 ($(date +%T), $((now - T0)) s in)"
}
if [ $REHEARSE = 1 ]; then
  TI=/usr/include; TL=/usr/lib/x86_64-linux-gnu; PY=/usr/bin/python3; DEVICE=cpu; JOBS=${JOBS:-2}
  PHOTOS=${PHOTOS:-48}; FWD_PHOTOS=8; BATCHES=1,4; PRECISIONS=fp32,bf16; E2E_BATCHES=1,4; COMPARE_PHOTOS=6
else
  PY=python3; TORCH=$($PY -c 'import torch,os;print(os.path.dirname(torch.__file__))'); TI=$TORCH/include; TL=$TORCH/lib
  DEVICE=cuda; JOBS=${JOBS:-$(nproc)}; PHOTOS=${PHOTOS:-5000}; FWD_PHOTOS=512; BATCHES=1,8,32,64,128
  PRECISIONS=fp32,bf16,fp16; E2E_BATCHES=1,32,64,128; COMPARE_PHOTOS=48
fi
E=$W/smartcrop; P=$W/proj

part "machine"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "no nvidia-smi (rehearsal: CPU)"
echo "$(nproc) cores; $(g++ --version | head -1); $(head -1 /etc/os-release)"
ABI=$($PY -c 'import torch;print(int(torch.compiled_with_cxx11_abi()))')
$PY -c 'import torch;print("torch",torch.__version__,"cuda",torch.version.cuda,"available",torch.cuda.is_available())'
echo "C++ ABI of this torch: _GLIBCXX_USE_CXX11_ABI=$ABI (torch.compiled_with_cxx11_abi())"

part "build the DINO plugin ($JOBS jobs)"
H=$W/hdr/usr/include; cd "$P"
# What CMake builds into the plugin: src/model/, smartcrop_backend_api and smartcrop_geometry.
SRC="$(ls src/model/*.cpp) src/error.cpp src/saliency/backend.cpp src/saliency/precision.cpp src/install_layout.cpp src/saliency/head_combine.cpp $(ls src/window/*.cpp)"
mkdir -p "$W/obj"
echo $SRC | tr ' ' '\n' | timeout $(limit 300) xargs -P "$JOBS" -I{} sh -c 'o='"$W"'/obj/$(echo {} | tr / _).o; g++ -O2 -std=c++17 -fPIC -fvisibility=hidden -fvisibility-inlines-hidden -D_GLIBCXX_USE_CXX11_ABI='"$ABI"' -Iinclude -Isrc -I'"$H"'/opencv4 -I'"$H"' -I'"$TI"' -I'"$TI"'/torch/csrc/api/include -c {} -o $o > $o.log 2>&1 || { echo "FAILED {}"; grep -m5 error $o.log; }'
CUDA_LIBS=""; [ -e "$TL/libtorch_cuda.so" ] && CUDA_LIBS="-Wl,--no-as-needed -ltorch_cuda -lc10_cuda -Wl,--as-needed"
g++ -shared -o "$W/libsmartcrop_dino.so" "$W"/obj/*.o -L"$W/libs" -lopencv_imgproc -lopencv_core -lfmt \
  -L"$TL" -ltorch $CUDA_LIBS -ltorch_cpu -lc10 -Wl,--no-undefined -Wl,-rpath,"$TL" 2>&1 | grep -m10 -E 'error|undefined'
ls -la "$W/libsmartcrop_dino.so" || exit 1
export LD_LIBRARY_PATH=$W/libs:$TL

part "export the GPU file and the CPU file"
CPU_FILE=$W/cpu.pt; GPU_FILE=$W/gpu.pt
timeout $(limit 120) $PY scripts/export_model.py --random-init --seed 0 -o "$CPU_FILE" 2>&1 | tail -1
timeout $(limit 120) $PY scripts/export_model.py --random-init --seed 0 --target gpu -o "$GPU_FILE" 2>&1 | tail -1
[ -e "$GPU_FILE" ] || { echo "(no GPU file with this torch: the CPU file stands in)"; GPU_FILE=$CPU_FILE; }
mkdir -p "$W/few"; $PY -c "
import cv2, glob, numpy as np, shutil
n = $COMPARE_PHOTOS
real = sorted(glob.glob('$W/photos/*.jpg'))[:n // 2]
for p in real: shutil.copy(p, '$W/few/')
for i, (w, h) in enumerate(([(864, 576), (816, 612), (576, 864), (1200, 400), (700, 700)] * n)[:n - len(real)]):
    rng = np.random.default_rng(i); img = cv2.resize(rng.integers(30, 220, (h // 48 + 2, w // 48 + 2, 3), dtype=np.uint8), (w, h))
    cv2.circle(img, (int(rng.integers(w // 5, 4 * w // 5)), h // 2), min(w, h) // 7, (30, 40, 240), -1)
    cv2.imwrite('$W/few/g%02d.jpg' % i, img)
print(len(real), 'photos of the evaluation set (not committed) and', n - len(real), 'generated for the comparison')"

part "device lines: auto, a CPU-shaped file on $DEVICE, cuda:7"
timeout $(limit 60) $E "$W/few" --backend dino --model "$GPU_FILE" --ratio 1:1 -o "$W/o_auto/" -v 2>&1 | grep -E "device|loaded model|exported for|error"
timeout $(limit 60) $E "$W/few" --backend dino --model "$CPU_FILE" --device $DEVICE --ratio 1:1 -o "$W/o_cpufile/" 2>&1 | grep -E "exported for|error"
timeout $(limit 60) $E "$W/few" --backend dino --model "$GPU_FILE" --device cuda:7 --ratio 1:1 -o "$W/o7/"; echo "--device cuda:7: exit $? (expected 2)"

part "boxes and attention against the CPU in fp32"
if [ $REHEARSE = 1 ]; then RUNS="--run cpu-bf16=cpu:bf16 --run cpu-fp32-batched=cpu:fp32"
else RUNS="--run gpu-fp32=cuda:fp32 --run gpu-tf32=cuda:tf32 --run gpu-fp16=cuda:fp16 --run gpu-bf16=cuda:bf16 --run cpu-file-fp16=cuda:fp16:$CPU_FILE"; fi
timeout $(limit 180) $PY scripts/compare_devices.py "$E" "$GPU_FILE" "$W/few" "$W/cmp" --batch-size 8 $RUNS --json "$O/compare.json"

part "out of memory: a batch that cannot fit"
mkdir -p "$W/oom"
if [ $REHEARSE = 1 ]; then
  # 480x720 at the model: 1351 tokens, a 7.3 MB attention array per photo and head in fp32.
  SIZE=480; BATCH=8; COUNT=16; export SMARTCROP_TEST_ALLOCATION_LIMIT_MB=10; PREC=fp32
else
  # ~8 bytes per element of the per-head tokens x tokens arrays at the peak in fp16 mixed
  # (fp16 logits, fp32 softmax, its fp16 copy): one photo ~1/24 of the card, 128 ~5 cards.
  TOTAL=$(nvidia-smi --query-gpu=memory.total --format=csv,noheader,nounits -i 0)
  SIZE=$($PY -c "import math; n = math.sqrt($TOTAL * 2**20 / 24 / 8); print(16 * round(math.sqrt(n / 1.5)))")
  BATCH=128; COUNT=128; PREC=fp16
  echo "card: $TOTAL MiB; input size $SIZE (3:2 photos: $((SIZE / 16)) x $((SIZE * 3 / 32)) patches), batch $BATCH"
fi
$PY -c "
import cv2, numpy as np
for i in range($COUNT):
    img = np.full((576, 864, 3), 110, np.uint8); cv2.circle(img, (150 + 4 * i, 288), 90, (30, 40, 240), -1)
    cv2.imwrite('$W/oom/o%03d.jpg' % i, img)"
timeout $(limit 200) $E "$W/oom" --backend dino --model "$CPU_FILE" --device $DEVICE --precision $PREC --batch-size $BATCH \
  --input-size $SIZE --ratio 16:9 -o "$W/oom_out/" 2>&1 | grep -E "out of memory|error|summary" | tee "$O/oom.txt"
echo "exit ${PIPESTATUS[0]}; crops written: $(ls "$W/oom_out" 2>/dev/null | wc -l) of $COUNT"
unset SMARTCROP_TEST_ALLOCATION_LIMIT_MB

part "bench_gpu.py: $PHOTOS photos"
timeout $(limit 330) $PY scripts/bench_gpu.py --bin "$E" --model "$GPU_FILE" --device $DEVICE --photos "$PHOTOS" \
  --forward-photos $FWD_PHOTOS --batch-sizes $BATCHES --precisions $PRECISIONS --e2e-batch-sizes $E2E_BATCHES \
  --work "$W/bench" --json "$O/bench.json"
if [ $REHEARSE = 0 ]; then
  echo "-- fp16 end to end (the default is tf32), and the CPU file in fp16, at batch 64"
  timeout $(limit 60) $PY scripts/bench_gpu.py --bin "$E" --model "$GPU_FILE" --device cuda --photos "$PHOTOS" --forward-photos 512 \
    --batch-sizes 64 --precisions fp16 --e2e-batch-sizes 64 --e2e-precisions fp16 --work "$W/bench" --json "$O/bench_fp16.json" | tail -9
  timeout $(limit 60) $PY scripts/bench_gpu.py --bin "$E" --model "$CPU_FILE" --device cuda --photos "$PHOTOS" --forward-photos 512 \
    --batch-sizes 64 --precisions fp16 --e2e-batch-sizes 64 --work "$W/bench" --json "$O/bench_cpufile.json" | tail -9
fi

part "done"
echo "total $(( $(date +%s) - T0 )) s"; cat "$O/parts.txt"
