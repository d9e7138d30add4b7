#!/usr/bin/env python3
"""Batch throughput and memory benchmark (prints figures; not a test).

From one invocation it prints:
  * seconds per photo for a whole batch of N generated photos of mixed sizes
    (wall clock of `smartcrop DIR -o OUT --json`, model load included),
  * seconds per bare model forward on the same photos at the same input size
    (`smartcrop --bench-forward 1`: decode/resize untimed, forward() only),
  * their ratio (target <= 1.15),
  * peak RSS after 100 and after M photos of one run (target: within 10%).

  /usr/bin/python3 scripts/export_model.py --arch vit_small --random-init --seed 0 -o /tmp/random_vits16.pt
  /usr/bin/python3 scripts/bench_batch.py --bin build/smartcrop --model /tmp/random_vits16.pt
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np

SIZES = [(640, 480), (1024, 768), (1600, 1200), (2048, 1536), (3000, 2000), (1200, 1600), (4000, 3000),
         (1920, 1080), (2400, 2400)]


def make_photos(folder: Path, count: int) -> list:
    """Writes `count` JPEGs of mixed sizes (cycling SIZES) with textured content."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    paths = []
    for i in range(count):
        w, h = SIZES[i % len(SIZES)]
        path = folder / f"photo_{i:04d}.jpg"
        paths.append(path)
        if path.exists():
            continue
        small = rng.integers(0, 255, size=(h // 16 + 1, w // 16 + 1, 3), dtype=np.uint8)
        img = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
        noise = rng.integers(0, 24, size=(h, w, 3), dtype=np.uint8)
        img = cv2.add(img, noise)
        cv2.circle(img, (int(rng.integers(0, w)), int(rng.integers(0, h))), min(w, h) // 6, (0, 0, 255), -1)
        cv2.imwrite(str(path), img, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return paths


def link_photos(folder: Path, sources: list, count: int) -> None:
    """Fills `folder` with `count` distinct names pointing at the generated photos."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        link = folder / f"photo_{i:04d}.jpg"
        if not link.exists():
            link.symlink_to(sources[i % len(sources)].resolve())


def vm_hwm_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def run_batch(binary, model, photos_dir, out_dir, input_size, ratios, threads, mark_at=100):
    """Runs one batch; returns (seconds, photos, failed, peak RSS kB at `mark_at` records, final peak RSS kB)."""
    shutil.rmtree(out_dir, ignore_errors=True)
    cmd = [binary, str(photos_dir), "-o", str(out_dir), "--json", "-q", "--backend", "dino", "--model", model,
           "--input-size", str(input_size), "--ratio", ratios, "--threads", str(threads)]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    done = failed = 0
    rss_at_mark = 0
    for line in proc.stdout:
        record = json.loads(line)
        done += 1
        failed += record.get("status") == "failed"
        if done == mark_at:
            rss_at_mark = vm_hwm_kb(proc.pid)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.monotonic() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        sys.exit(f"batch run failed: {' '.join(cmd)}")
    return seconds, done, failed, rss_at_mark, usage.ru_maxrss


def bare_forward(binary, model, photos_dir, input_size, threads):
    out = subprocess.run([binary, str(photos_dir), "--bench-forward", "1", "--model", model, "--input-size",
                          str(input_size), "--threads", str(threads), "-q"], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default="build/smartcrop")
    parser.add_argument("--model", default="/tmp/random_vits16.pt")
    parser.add_argument("--work", default="/tmp/smartcrop-bench", help="where photos and outputs go")
    parser.add_argument("--photos", type=int, default=100, help="photos in the throughput batch (at least 100)")
    parser.add_argument("--input-size", type=int, default=480)
    parser.add_argument("--ratios", default="16:9,1:1")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--memory-photos", type=int, default=500, help="photos in the memory run (0 = skip)")
    parser.add_argument("--memory-model", default="", help="model for the memory run (default: --model)")
    parser.add_argument("--memory-only", action="store_true", help="skip the throughput batch and bare forward")
    parser.add_argument("--memory-input-size", type=int, default=224,
                        help="input size for the memory run (smaller, so 500 photos take minutes)")
    args = parser.parse_args()

    work = Path(args.work)
    sources = make_photos(work / "photos", args.photos)
    mpix = sum(w * h for w, h in (SIZES[i % len(SIZES)] for i in range(args.photos))) / args.photos / 1e6
    print(f"batch: {args.photos} JPEG photos of {len(SIZES)} sizes (640x480 .. 4000x3000, mean {mpix:.1f} MP), "
          f"ratios {args.ratios}, model {args.model}, input size {args.input_size}, threads {args.threads or 'all'}")

    if not args.memory_only:
        throughput(args, work)
    if args.memory_photos > 0:
        memory(args, work, sources)
    return 0


def throughput(args, work):
    seconds, done, failed, rss100, rss_end = run_batch(args.bin, args.model, work / "photos", work / "out",
                                                       args.input_size, args.ratios, args.threads)
    per_photo = seconds / done
    forward = bare_forward(args.bin, args.model, work / "photos", args.input_size, args.threads)
    ratio = per_photo / forward["seconds_per_forward"]
    print(f"  whole batch: {seconds:.1f} s for {done} photos ({failed} failed) = {per_photo:.3f} s/photo")
    print(f"  bare forward: {forward['seconds_per_forward']:.3f} s/forward over {forward['forwards']} forwards")
    print(f"  ratio batch/forward: {ratio:.3f} (target <= 1.15)")
    print(f"  peak RSS: {rss100 / 1024:.0f} MB after 100 photos, {rss_end / 1024:.0f} MB after {done}")


def memory(args, work, sources):
    link_photos(work / "many", sources, args.memory_photos)
    model = args.memory_model or args.model
    seconds, done, failed, rss100, rss_end = run_batch(args.bin, model, work / "many", work / "out-many",
                                                       args.memory_input_size, args.ratios, args.threads)
    growth = (rss_end - rss100) / rss100 * 100
    print(f"memory run: {done} photos ({failed} failed), model {model}, input size {args.memory_input_size}, "
          f"{seconds:.0f} s")
    print(f"  peak RSS: {rss100 / 1024:.0f} MB after 100 photos, {rss_end / 1024:.0f} MB after {done} "
          f"({growth:+.1f}%, target within 10%)")


if __name__ == "__main__":
    sys.exit(main())
