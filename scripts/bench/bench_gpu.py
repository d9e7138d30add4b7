#!/usr/bin/python3
"""GPU benchmark: the bare batched forward per batch size and precision, and photos per second
end to end with the time per stage and the GPU memory (prints tables; not a test).

On generated photos of about 0.5 MP (mixed 3:2, 4:3 and portrait shapes) and one model file:
  forward      `smartcrop --bench-forward R --batch-size B --precision P` on a subset: the bare
               batched forward with the copies to and from the GPU (decode and resize untimed),
               for every batch size and precision asked for;
  end to end   `smartcrop PHOTOS --ratio 16:9,1:1 -o OUT/ --batch-size B --json`: decode, resize,
               the batched forward, the window search and two crops written per photo, timed by
               the engine's summary (model load excluded); per stage, the mean of each photo's
               decode, saliency (resize, waiting for its batch, the forward, the maps) and write
               seconds from --json, which overlap across the workers.
With the GPU's name, the CPU and its count, the load average, and the GPU memory in use at peak
(nvidia-smi every 0.1 s, less what was in use before; the peak RSS where there is no GPU). Runs on
the CPU too (small counts), and says so. --json FILE writes every figure.

  /usr/bin/python3 scripts/bench/bench_gpu.py --bin build/smartcrop --model gpu.pt --photos 5000 \\
      --batch-sizes 1,8,32,64,128 --precisions fp32,bf16,fp16 --e2e-batch-sizes 1,32,64,128
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
    """Peak memory in use on GPU 0 while running, from nvidia-smi every 0.1 s (MiB), less the
    memory in use before."""

    def __init__(self, on):
        self.on, self.peak, self.base, self._stop = on, 0, 0, threading.Event()

    def _sample(self):
        done = subprocess.run(["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits", "-i", "0"],
                              capture_output=True, text=True)
        return int(done.stdout.split()[0]) if done.returncode == 0 and done.stdout.strip() else 0

    def __enter__(self):
        if self.on:
            self.base = self.peak = self._sample()
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

    def text(self):
        if self.on:
            return f"{self.peak - self.base} MiB"
        return f"RSS {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MiB (max so far)"


def run(command):
    start = time.monotonic()
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True)
    return done, time.monotonic() - start


def failure(command, done):
    return f"exit {done.returncode}: {done.stderr.strip().splitlines()[-1][:200] if done.stderr.strip() else ''}"


def cpu_name():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def forward_rates(args, photos, gpu):
    """{(batch, precision): photos/s or an error} of the bare forward."""
    rows = {}
    subset = photos[:min(len(photos), args.forward_photos)]
    for precision in args.precisions.split(","):
        for batch in [int(b) for b in args.batch_sizes.split(",")]:
            command = [args.bin, *subset, "--model", args.model, "--backend", "dino", "--device", args.device,
                       "--precision", precision, "--batch-size", batch, "--bench-forward", args.forward_repeats]
            with GpuMemory(gpu is not None) as memory:
                done, wall = run(command)
            if done.returncode != 0:
                rows[(batch, precision)] = {"error": failure(command, done)}
            else:
                result = json.loads(done.stdout)
                rate = result["photos"] / result["seconds"] if result["seconds"] > 0 else 0.0
                rows[(batch, precision)] = {"photos_per_s": rate, "photos": result["photos"],
                                            "memory": memory.text(), "wall_s": wall}
            print(f"forward {precision} batch {batch}: {rows[(batch, precision)]}", flush=True)
    return rows


def end_to_end(args, photo_dir, count, gpu):
    rows = []
    for batch in [int(b) for b in args.e2e_batch_sizes.split(",")]:
        for precision in args.e2e_precisions.split(","):
            out = Path(args.work) / f"out_b{batch}_{precision}"
            shutil.rmtree(out, ignore_errors=True)
            command = [args.bin, photo_dir, "--model", args.model, "--backend", "dino", "--device", args.device,
                       "--precision", precision, "--batch-size", batch, "--ratio", args.ratios, "-o", f"{out}/",
                       "--json", "-v"]
            with GpuMemory(gpu is not None) as memory:
                done, wall = run(command)
            row = {"batch": batch, "precision": precision}
            if done.returncode != 0:
                row["error"] = failure(command, done)
            else:
                summary = re.search(r"(\d+) photos in ([\d.]+) s \(([\d.]+) photos/s\)", done.stderr)
                records = [json.loads(line) for line in done.stdout.splitlines()]
                stages = {k: 1000 * float(np.mean([r["seconds"][k] for r in records]))
                          for k in ("decode", "saliency", "write")} if records else {}
                row.update({"photos_per_s": float(summary.group(3)) if summary else 0.0,
                            "with_load_photos_per_s": count / wall, "crops_written": len(list(out.iterdir())),
                            "stage_ms": stages, "memory": memory.text(),
                            "warnings": [line for line in done.stderr.splitlines() if line.startswith("warning")
                                         and "RANDOM weights" not in line][:3]})
            shutil.rmtree(out, ignore_errors=True)
            rows.append(row)
            print(f"end to end {precision} batch {batch}: {row}", flush=True)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--bin", default="build/smartcrop")
    parser.add_argument("--model", required=True, help="TorchScript model (e.g. export_model.py --target gpu)")
    parser.add_argument("--photos", type=int, default=5000)
    parser.add_argument("--forward-photos", type=int, default=512, help="photos for the bare forward")
    parser.add_argument("--forward-repeats", type=int, default=2)
    parser.add_argument("--batch-sizes", default="1,8,32,64,128", help="for the bare forward")
    parser.add_argument("--precisions", default="fp32,bf16,fp16", help="for the bare forward")
    parser.add_argument("--e2e-batch-sizes", default="1,32,64,128")
    parser.add_argument("--e2e-precisions", default="auto")
    parser.add_argument("--ratios", default="16:9,1:1", help="crops written per photo end to end")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--work", default="/tmp/smartcrop-bench-gpu")
    parser.add_argument("--json", help="write every figure here")
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
    forward = forward_rates(args, photos, gpu)
    e2e = end_to_end(args, photo_dir, len(photos), gpu)

    precisions = args.precisions.split(",")
    print(f"\nBare forward, photos/s ({args.model}, {min(len(photos), args.forward_photos)} photos x "
          f"{args.forward_repeats} repeats, inputs prepared untimed; memory at peak in brackets: GPU, or RSS without one)")
    print("| batch | " + " | ".join(precisions) + " |")
    print("|---|" + "---|" * len(precisions))
    for batch in [int(b) for b in args.batch_sizes.split(",")]:
        cells = []
        for precision in precisions:
            row = forward[(batch, precision)]
            cells.append(f"FAILED: {row['error']}" if "error" in row else
                         f"{row['photos_per_s']:.1f} ({row['memory']})")
        print(f"| {batch} | " + " | ".join(cells) + " |")
    print(f"\nEnd to end, {len(photos)} photos, {len(args.ratios.split(','))} crops each ({args.ratios}); per stage "
          "the mean per photo (decode, saliency = resize + batch wait + forward + maps, write)")
    print("| batch | precision | photos/s | with model load | crops written | decode ms | saliency ms | write ms "
          "| memory at peak (GPU; RSS without one) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in e2e:
        if "error" in row:
            print(f"| {row['batch']} | {row['precision']} | FAILED: {row['error']} | | | | | | |")
            continue
        stage = row["stage_ms"]
        print(f"| {row['batch']} | {row['precision']} | {row['photos_per_s']:.1f} | {row['with_load_photos_per_s']:.1f} "
              f"| {row['crops_written']} | {stage.get('decode', 0):.1f} | {stage.get('saliency', 0):.1f} "
              f"| {stage.get('write', 0):.1f} | {row['memory']} |")
        for warning in row["warnings"]:
            print(f"  {warning}")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "gpu": gpu, "cpu": cpu_name(), "cores": os.cpu_count(), "photos": len(photos), "model": args.model,
            "forward": [dict(batch=b, precision=p, **r) for (b, p), r in forward.items()], "end_to_end": e2e},
            indent=1))
    failed = [r for r in forward.values() if "error" in r] + [r for r in e2e if "error" in r]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
