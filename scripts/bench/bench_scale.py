#!/usr/bin/python3
"""Batch runs at scale: 10,000 / 30,000 / 100,000 small photos in nested folders.

  /usr/bin/python3 scripts/bench/bench_scale.py [--bin build/smartcrop] [--sets 10000,20000,70000]
                                          [--work /tmp/smartcrop-scale] [--keep]

Photos are 64x48 JPEGs, 100 to a folder two levels deep, generated once into --work in
three sets (10k, 20k, 70k) so that the sizes are the first one, two or three sets
(-R SET...). For each size:
  run     smartcrop -v -R SETS -o OUT --backend saliency: wall time, photos/s, peak RSS of the
          process (wait4's ru_maxrss), and from its log the time to find the photos (listing)
          and to plan their outputs;
  resume  the same with --skip-existing, every output there: wall time and peak RSS;
  shards  --shard K/4 --skip-existing --json for K = 1..4: every photo in exactly one shard.
Then the growth of the peak between sizes, per photo, beside the bytes of the paths.
Generated photos and outputs are deleted at the end unless --keep.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np

def generate(work, sets):
    """Writes the three sets (once; a complete earlier generation is reused)."""
    done = work / "photos.done"
    if done.exists() and done.read_text() == f"{sets}\n":
        return
    shutil.rmtree(work / "photos", ignore_errors=True)
    rng = np.random.default_rng(24)
    blobs = []
    for _ in range(256):  # distinct JPEGs, written round-robin: content does not change the cost
        img = rng.integers(40, 90, size=(48, 64, 3), dtype=np.uint8)
        cv2.circle(img, (int(rng.integers(10, 54)), int(rng.integers(10, 38))), 8, (0, 0, 255), -1)
        blobs.append(cv2.imencode(".jpg", img)[1].tobytes())
    start = time.monotonic()
    n = 0
    for s, count in enumerate(sets):
        for i in range(count):
            folder = work / "photos" / f"s{s}" / f"a{i // 1000:03d}" / f"b{(i // 100) % 10}"
            if i % 100 == 0:
                folder.mkdir(parents=True, exist_ok=True)
            (folder / f"p{s}_{i:06d}.jpg").write_bytes(blobs[n % len(blobs)])
            n += 1
    done.write_text(f"{sets}\n")
    print(f"generated {n} photos of 64x48 in {time.monotonic() - start:.0f} s into {work / 'photos'}")


def run_measured(cmd):
    """Runs cmd; returns (exit code, wall seconds, the child's own peak RSS in MB from
    wait4's ru_maxrss, stdout, stderr)."""
    start = time.monotonic()
    out_r, out_w = os.pipe()
    err_path = Path(f"/tmp/bench_scale.{os.getpid()}.err")
    with open(err_path, "w") as err_file:
        pid = os.fork()
        if pid == 0:
            os.dup2(out_w, 1)
            os.dup2(err_file.fileno(), 2)
            os.close(out_r)
            os.execvp(cmd[0], cmd)
        os.close(out_w)
        chunks = []
        while chunk := os.read(out_r, 1 << 20):
            chunks.append(chunk)
        os.close(out_r)
        _, status, usage = os.wait4(pid, 0)
    wall = time.monotonic() - start
    err = err_path.read_text(errors="replace")
    err_path.unlink()
    return os.waitstatus_to_exitcode(status), wall, usage.ru_maxrss / 1024, b"".join(chunks).decode(), err


def logged(pattern, err):
    m = re.search(pattern, err)
    return float(m.group(1)) if m else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin", default="build/smartcrop")
    parser.add_argument("--sets", default="10000,20000,70000", help="photos per set; sizes are their running sums")
    parser.add_argument("--work", default="/tmp/smartcrop-scale")
    parser.add_argument("--keep", action="store_true", help="keep the generated photos for the next run")
    args = parser.parse_args()
    binary = str(Path(args.bin).resolve())
    work = Path(args.work)
    sets = [int(s) for s in args.sets.split(",")]
    sizes = [sum(sets[:k + 1]) for k in range(len(sets))]
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    try:
        generate(work, sets)
        print(f"{binary}; CPU: {cpu_name()}, {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}")
        for size in sizes:
            folders = [str(work / "photos" / f"s{s}") for s in range(sizes.index(size) + 1)]
            out = work / f"out{size}"
            shutil.rmtree(out, ignore_errors=True)
            base = [binary, "-v", "-R", *folders, "-o", str(out), "--backend", "saliency"]
            path_bytes = sum(len(str(p)) for f in folders for p in Path(f).rglob("*.jpg"))
            code, wall, rss, _, err = run_measured(base)
            summary = next((line for line in err.splitlines() if line.startswith("summary:")), "")
            assert code == 0 and f"{size} written" in summary, f"run of {size}: exit {code}\n{err[-2000:]}"
            found, planned = logged(r"found \d+ photos in ([\d.]+) s", err), logged(r"planned \d+ outputs in ([\d.]+) s", err)
            code, resume, resume_rss, _, err = run_measured(base + ["--skip-existing"])
            assert code == 0 and f"0 written, {size} skipped" in err, f"resume of {size}: exit {code}\n{err[-2000:]}"
            seen = []
            shard_walls = []
            for k in range(1, 5):
                code, w, _, out_json, err = run_measured(base + ["--skip-existing", "--json", "--shard", f"{k}/4"])
                assert code == 0, err[-2000:]
                seen.extend(json.loads(line)["input"] for line in out_json.splitlines() if line.strip())
                shard_walls.append(w)
            once = len(seen) == len(set(seen)) == size
            rows.append((size, found, planned, wall, size / wall, rss, resume, resume_rss, max(shard_walls), once,
                         path_bytes))
            print(f"  {size:>7} photos: listed in {found:.2f} s, planned in {planned:.2f} s; run {wall:.1f} s "
                  f"({size / wall:.0f} photos/s), peak RSS {rss:.1f} MB; resume {resume:.1f} s, peak RSS "
                  f"{resume_rss:.1f} MB; --shard K/4: {len(seen)} records, {len(set(seen))} photos, "
                  f"{'each exactly once' if once else 'NOT exactly once'} (slowest shard {max(shard_walls):.1f} s)")
            shutil.rmtree(out, ignore_errors=True)
        print()
        print("| photos | listing | planning | run | photos/s | peak RSS | resume | resume peak RSS | --shard K/4 |")
        print("|---|---|---|---|---|---|---|---|---|")
        for size, found, planned, wall, rate, rss, resume, resume_rss, shard, once, _ in rows:
            print(f"| {size:,} | {found:.2f} s | {planned:.2f} s | {wall:.0f} s | {rate:.0f} | {rss:.0f} MB | "
                  f"{resume:.1f} s | {resume_rss:.0f} MB | {'exactly once' if once else 'FAILED'} |")
        for prev, cur in zip(rows, rows[1:]):
            grow = (cur[5] - prev[5]) * 1e6 / (cur[0] - prev[0])
            path = (cur[10] - prev[10]) / (cur[0] - prev[0])
            print(f"peak RSS {prev[0]:,} -> {cur[0]:,} photos: {grow:.0f} bytes per added photo "
                  f"(its path alone: {path:.0f} bytes)")
        return 0 if all(r[9] for r in rows) else 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def cpu_name():
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


if __name__ == "__main__":
    sys.exit(main())
