#!/usr/bin/python3
"""GPU benchmark: photos per second end to end against the bare batched forward, per batch size
(prints a table; not a test).

On the same generated photos of about 0.5 MP (mixed 3:2, 4:3 and portrait shapes) and one model file:
  end to end   `smartcrop PHOTOS --ratio 16:9,1:1 -o OUT/ --batch-size B`: decode, resize, the
               batched forward, the window search and two crops written per photo, timed by the
               engine's own summary (model load excluded);
  forward      `smartcrop --bench-forward R --batch-size B` on a subset: the bare batched model
               forward with the copies to and from the GPU (decode and resize untimed).
With the GPU's name (nvidia-smi), the CPU and its count, the load average, and the GPU memory in
use at peak (nvidia-smi, sampled every 0.1 s; the process's peak RSS where there is no GPU).
Runs on the CPU too (small counts), and says so.

  /usr/bin/python3 scripts/bench/bench_gpu.py --bin build/smartcrop --model M.pt --photos 5000 --batch-sizes 1,32,64
"""
import argparse
import json
import multiprocessing
import os
import re
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np

SHAPES = [(864, 576), (816, 612), (576, 864), (864, 576), (816, 612), (612, 816)]  # ~0.5 MP each


def write_photo(args):
    folder, i = args
    w, h = SHAPES[i % len(SHAPES)]
    path = Path(folder) / f"p{i:05d}_{w}x{h}.jpg"
    if not path.exists():
        rng = np.random.default_rng(i)
        small = rng.integers(30, 220, size=(h // 48 + 2, w // 48 + 2, 3), dtype=np.uint8)
        img = cv2.add(cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC),
                      rng.integers(0, 20, size=(h, w, 3), dtype=np.uint8))
        centre = (int(rng.integers(w // 5, 4 * w // 5)), int(rng.integers(h // 5, 4 * h // 5)))
        cv2.circle(img, centre, min(w, h) // 7, (30, 40, 240), -1)
        cv2.imwrite(str(path), img, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return str(path)


def make_photos(folder, count):
    folder.mkdir(parents=True, exist_ok=True)
    with multiprocessing.Pool(os.cpu_count()) as pool:
        return pool.map(write_photo, [(str(folder), i) for i in range(count)], chunksize=64)


def gpu_name():
    if not shutil.which("nvidia-smi"):
        return None
    done = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"],
                          capture_output=True, text=True)
    return done.stdout.strip().splitlines()[0] if done.returncode == 0 and done.stdout.strip() else None


class GpuMemory:
    """Peak memory in use on GPU 0 while running, from nvidia-smi every 0.1 s (MiB)."""

    def __init__(self, on):
        self.on, self.peak, self._stop = on, 0, threading.Event()

    def _sample(self):
        done = subprocess.run(["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits", "-i", "0"],
                              capture_output=True, text=True)
        return int(done.stdout.split()[0]) if done.returncode == 0 and done.stdout.strip() else 0

    def __enter__(self):
        if self.on:
            self.base = self._sample()
            self._thread = threading.Thread(target=self._loop, daemon=True)
            self._thread.start()
        return self

    def _loop(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            time.sleep(0.1)

    def __exit__(self, *exc):
        if self.on:
            self._stop.set()
            self._thread.join()


def run(command):
    start = time.monotonic()
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"error: {' '.join(map(str, command[:6]))} ... exited {done.returncode}: {done.stderr.strip()[-600:]}")
    return done, time.monotonic() - start


def cpu_name():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", default="build/smartcrop")
    parser.add_argument("--model", required=True, help="TorchScript model (e.g. a random-weight ViT-S/16)")
    parser.add_argument("--photos", type=int, default=5000)
    parser.add_argument("--forward-photos", type=int, default=512, help="photos for the bare forward")
    parser.add_argument("--forward-repeats", type=int, default=2)
    parser.add_argument("--batch-sizes", default="1,8,32,64")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--work", default="/tmp/smartcrop-bench-gpu")
    args = parser.parse_args()
    work = Path(args.work)
    started = time.monotonic()
    photo_dir = work / f"photos{args.photos}"
    photos = make_photos(photo_dir, args.photos)
    print(f"{len(photos)} photos of ~0.5 MP ({', '.join(f'{w}x{h}' for w, h in sorted(set(SHAPES)))}) "
          f"generated in {time.monotonic() - started:.0f} s", flush=True)
    gpu = gpu_name()
    load = os.getloadavg()
    print(f"GPU: {gpu or 'none (no nvidia-smi): this run is on the CPU, its figures are not GPU figures'}")
    print(f"CPU: {cpu_name()}, {os.cpu_count()} cores; load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    common = ["--model", args.model, "--backend", "dino", "--device", args.device, "--precision", args.precision]
    forward_set = photos[:min(len(photos), args.forward_photos)]
    rows = []
    for batch in [int(b) for b in args.batch_sizes.split(",")]:
        out = work / f"out_b{batch}"
        shutil.rmtree(out, ignore_errors=True)
        with GpuMemory(gpu is not None) as memory:
            e2e, wall = run([args.bin, photo_dir, *common, "--batch-size", batch, "--ratio", "16:9,1:1",
                             "-o", f"{out}/", "-v"])
        written = len(list(out.iterdir()))
        summary = re.search(r"(\d+) photos in ([\d.]+) s \(([\d.]+) photos/s\)", e2e.stderr)
        device = re.search(r"on (\S+), batches of (\d+)", e2e.stderr)
        fwd, _ = run([args.bin, *forward_set, *common, "--batch-size", batch, "--bench-forward",
                      args.forward_repeats])
        forward = json.loads(fwd.stdout)
        forward_rate = forward["photos"] / forward["seconds"] if forward["seconds"] > 0 else 0.0
        peak = f"{memory.peak - memory.base} MiB" if gpu else \
            f"RSS {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MiB (max so far)"
        rows.append((batch, device.group(1) if device else "?", float(summary.group(3)) if summary else 0.0,
                     len(photos) / wall, written, forward_rate, forward["photos"], peak))
        print(f"batch {batch}: done ({wall:.0f} s)", flush=True)
    print()
    print("| batch | device | end to end, photos/s | with model load | crops written | bare forward, photos/s "
          "(photos) | end to end / forward | memory at peak |")
    print("|---|---|---|---|---|---|---|---|")
    for batch, device, e2e_rate, with_load, written, fwd_rate, fwd_photos, peak in rows:
        share = e2e_rate / fwd_rate if fwd_rate else 0.0
        print(f"| {batch} | {device} | {e2e_rate:.1f} | {with_load:.1f} | {written} | {fwd_rate:.1f} ({fwd_photos}) "
              f"| {share:.2f} | {peak} |")
    print(f"\nend to end: {len(photos)} photos, two crops each (16:9, 1:1), engine's summary timing; "
          f"bare forward: {len(forward_set)} photos x {args.forward_repeats} repeats, inputs prepared untimed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
