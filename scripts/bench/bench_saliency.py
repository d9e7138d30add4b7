#!/usr/bin/python3
"""Prints how long the built-in saliency backend takes per photo and per megapixel
on one core (issue 12's target: at most 25 ms per megapixel in a batch).

    /usr/bin/python3 scripts/bench/bench_saliency.py [--bin build/smartcrop] [--baseline OTHER_BIN]
        [--rounds 3] [--flags "--input-size 360"] [PHOTO...]

Without photos it times a synthetic 1155x866 (1.0 MP) demo photo, 30 times.
Per batch, from the --json records (the first photo is a warm-up and left out):
  - backend wall: seconds.saliency, the backend's own steady-clock time (resize,
    cues, blur; decode and window search excluded). With the process pinned to
    one CPU, the decode thread of the next photo shares that core, so this
    includes time the backend spent waiting for it;
  - backend CPU: seconds.saliency_cpu, the CPU time of the backend's thread for
    the same work, which no other thread inflates. Pinned to one CPU, OpenCV
    runs its parallel loops on that thread, so nothing of the backend's is missed
    (unpinned, work on OpenCV's worker threads would not be counted);
  - batch wall per photo: the whole run's wall time / photos (process start,
    decode, backend, window search at --ratio 16:9,4:5,1:1), process pinned to CPU 0.
Each figure is printed per photo and per megapixel, with the load average
(/proc/loadavg, 1 minute) at the start and end of the runs that gave it. With
--baseline, the two binaries take turns (--rounds times each, same photos) and
the ratios are printed; a baseline whose records have no saliency_cpu shows "-".
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def load_average():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def batch(binary, photos, flags):
    """Returns one batch run's figures: backend wall and CPU ms (median, p90), wall ms per photo, MP."""
    cmd = ["taskset", "-c", "0", binary, "--backend", "saliency", "--json", "--dry-run", "--quiet",
           *flags.split(), "--ratio", "16:9,4:5,1:1", "--", *photos]
    start = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    wall = time.perf_counter() - start
    records = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
    timed = records[1:] or records  # first: warm-up
    wall_ms = sorted(r["seconds"]["saliency"] * 1000 for r in timed)
    cpu = [r["seconds"].get("saliency_cpu") for r in timed]
    cpu_ms = sorted(c * 1000 for c in cpu) if all(c is not None for c in cpu) else None
    p90 = lambda v: v[int(0.9 * (len(v) - 1))]
    return {"wall": statistics.median(wall_ms), "wall_p90": p90(wall_ms),
            "cpu": statistics.median(cpu_ms) if cpu_ms else None, "cpu_p90": p90(cpu_ms) if cpu_ms else None,
            "batch": wall * 1000 / len(records),
            "mp": statistics.median(r["width"] * r["height"] / 1e6 for r in records)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "..", "build", "smartcrop"))
    ap.add_argument("--baseline", help="another smartcrop binary to time in turn with --bin")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--flags", default="", help="extra smartcrop flags, one string")
    ap.add_argument("photos", nargs="*")
    a = ap.parse_args()
    binaries = [("bin", a.bin)] + ([("baseline", a.baseline)] if a.baseline else [])
    runs = {name: [] for name, _ in binaries}
    loads = {name: [] for name, _ in binaries}
    print("CPU: %s; load average %.2f at start" % (cpu_name(), load_average()))
    with tempfile.TemporaryDirectory() as tmp:
        photos = a.photos
        if not photos:
            sys.path.insert(0, os.path.join(HERE, ".."))
            import cv2
            from make_demo_image import make_demo
            image = make_demo(1155, 866)
            photos = [os.path.join(tmp, "demo_1mp_%02d.png" % i) for i in range(a.repeat)]
            for path in photos:  # distinct files: the batch drops repeated paths
                cv2.imwrite(path, image)
        for _ in range(a.rounds):
            for name, binary in binaries:
                loads[name].append(load_average())
                runs[name].append(batch(binary, photos, a.flags))
    med = lambda name, key: (statistics.median(r[key] for r in runs[name])
                             if all(r[key] is not None for r in runs[name]) else None)
    fmt = lambda v, mp: "-" if v is None else "%.1f ms (%.1f ms/MP)" % (v, v / mp)
    for name, binary in binaries:
        mp = runs[name][0]["mp"]
        print("%-8s %s: %d photos of %.2f MP, median of %d rounds, load average %.2f-%.2f"
              % (name, binary, len(photos), mp, a.rounds, min(loads[name]), max(loads[name])))
        print("         backend wall median %s, p90 %s" % (fmt(med(name, "wall"), mp), fmt(med(name, "wall_p90"), mp)))
        print("         backend CPU  median %s, p90 %s" % (fmt(med(name, "cpu"), mp), fmt(med(name, "cpu_p90"), mp)))
        print("         batch wall %s per photo" % fmt(med(name, "batch"), mp))
    if a.baseline:
        ratio = lambda key: ("-" if med("bin", key) is None or med("baseline", key) is None
                             else "%.3f" % (med("bin", key) / med("baseline", key)))
        print("bin / baseline: backend wall %s, backend CPU %s, batch wall %s"
              % (ratio("wall"), ratio("cpu"), ratio("batch")))
    print("load average %.2f at end" % load_average())


def cpu_name():
    with open("/proc/cpuinfo") as f:
        names = [l.split(":", 1)[1].strip() for l in f if l.startswith("model name")]
    return "%s, %d threads" % (names[0] if names else "unknown", len(names))


if __name__ == "__main__":
    main()
