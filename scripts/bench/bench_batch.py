#!/usr/bin/env python3
"""Batch throughput and memory benchmark (prints figures; not a test).

From one invocation it prints:
  * seconds per photo for a batch of N generated photos of mixed sizes
    (wall clock of `smartcrop --from LIST -o OUT --json`, minus the logged model load),
  * seconds per bare model forward on the same photos at the same input size
    (`smartcrop --bench-forward 1`: decode/resize untimed, forward() only),
  * their ratio (target <= 1.15); each of --rounds rounds runs the whole batch in one
    process and the bare forwards in another, in alternating order, so that load
    from other processes that comes and goes hurts neither more than the other,
  * peak RSS after 100 and after M photos of one run (target: within 10%).

  /usr/bin/python3 scripts/export_model.py --arch vit_small --random-init --seed 0 -o /tmp/random_vits16.pt
  /usr/bin/python3 scripts/bench/bench_batch.py --bin build/smartcrop --model /tmp/random_vits16.pt
"""
import argparse
import json
import re
import os
import shutil
import subprocess
import sys
import tempfile
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
    """Fills `folder` with `count` distinct names pointing at the generated photos
    (and removes names beyond `count` that an earlier, longer run left)."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("photo_*.jpg"):
        if int(old.stem.split("_")[1]) >= count:
            old.unlink()
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


MEMORY_MARKS = (100, 250, 500, 1000, 1500, 2000, 3000, 5000, 10000)


def run_batch(binary, model, inputs, out_dir, input_size, ratios, threads, marks=(100,)):
    """Runs one batch over `inputs` (a folder, or a list file given with --from).
    Returns (seconds without the model load, photos, failed, {records: peak RSS kB then} for
    each of `marks` reached, final peak RSS kB)."""
    shutil.rmtree(out_dir, ignore_errors=True)
    source = ["--from", str(inputs)] if Path(inputs).is_file() else [str(inputs)]
    cmd = [binary, *source, "-o", str(out_dir), "--json", "-v", "--backend", "dino", "--model", model,
           "--input-size", str(input_size), "--ratio", ratios, "--threads", str(threads)]
    start = time.monotonic()
    # stderr goes to a file: -v logs a line per output, which would fill a pipe nobody reads yet.
    log_file = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log_file, text=True)
    done = failed = 0
    rss_at_mark = {}
    for line in proc.stdout:
        record = json.loads(line)
        done += 1
        failed += record.get("status") == "failed"
        if done in marks:
            rss_at_mark[done] = vm_hwm_kb(proc.pid)
    _, status, usage = os.wait4(proc.pid, 0)
    log_file.seek(0)
    log = log_file.read()
    seconds = time.monotonic() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        sys.exit(f"batch run failed: {' '.join(cmd)}\n{log}")
    load = re.search(r"loaded model .* in (\d+) ms", log)
    seconds -= int(load.group(1)) / 1000 if load else 0.0
    return seconds, done, failed, rss_at_mark, usage.ru_maxrss


def bare_forward(binary, model, list_file, input_size, threads):
    out = subprocess.run([binary, "--from", str(list_file), "--bench-forward", "1", "--model", model, "--input-size",
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
    parser.add_argument("--rounds", type=int, default=2, help="batch + bare forward pairs, order alternating")
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
        throughput(args, work, sources)
    if args.memory_photos > 0:
        memory(args, work, sources)
    return 0


def throughput(args, work, sources):
    """Each round: the whole batch in one process, and every bare forward in one
    process, in alternating order; the figures are the sums over all rounds."""
    photo_list = work / "batch.txt"
    photo_list.write_text("".join(f"{p}\n" for p in sources))
    batch_s = forward_s = 0.0
    done = failed = forwards = 0
    for round_ in range(args.rounds):
        steps = ["batch", "forward"] if round_ % 2 == 0 else ["forward", "batch"]
        for step in steps:
            if step == "batch":
                seconds, n, f, _, _ = run_batch(args.bin, args.model, photo_list, work / "out", args.input_size,
                                                args.ratios, args.threads)
                batch_s, done, failed = batch_s + seconds, done + n, failed + f
                round_batch = seconds / n
            else:
                forward = bare_forward(args.bin, args.model, photo_list, args.input_size, args.threads)
                forward_s += forward["seconds_per_forward"] * forward["forwards"]
                forwards += forward["forwards"]
                round_forward = forward["seconds_per_forward"]
        print(f"  round {round_ + 1} ({' then '.join(steps)}): batch {round_batch:.3f} s/photo, "
              f"bare forward {round_forward:.3f} s, ratio {round_batch / round_forward:.3f}, "
              f"load average {os.getloadavg()[0]:.1f}", flush=True)
    per_photo = batch_s / done
    per_forward = forward_s / forwards
    print(f"  whole batch: {batch_s:.1f} s for {done} photos in {args.rounds} runs ({failed} failed) = "
          f"{per_photo:.3f} s/photo (start-up, decoding, writing included; model load excluded)")
    print(f"  bare forward: {per_forward:.3f} s/forward over {forwards} forwards")
    print(f"  ratio batch/forward: {per_photo / per_forward:.3f} (target <= 1.15)")


def memory(args, work, sources):
    link_photos(work / "many", sources, args.memory_photos)
    model = args.memory_model or args.model
    seconds, done, failed, marks, rss_end = run_batch(args.bin, model, work / "many", work / "out-many",
                                                      args.memory_input_size, args.ratios, args.threads,
                                                      marks=MEMORY_MARKS)
    rss100 = marks[100]
    growth = (rss_end - rss100) / rss100 * 100
    print(f"memory run: {done} photos ({failed} failed), model {model}, input size {args.memory_input_size}, "
          f"{seconds:.0f} s")
    print(f"  peak RSS: {rss100 / 1024:.0f} MB after 100 photos, {rss_end / 1024:.0f} MB after {done} "
          f"({growth:+.1f}%, target within 10%)")
    print("  peak RSS along the run: " + ", ".join(f"{n}: {kb / 1024:.0f} MB" for n, kb in sorted(marks.items())))


if __name__ == "__main__":
    sys.exit(main())
