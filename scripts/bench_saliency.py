#!/usr/bin/python3
"""Prints how long the built-in saliency backend takes per photo on one core
(the issue's target: under 20 ms for a 1-megapixel photo).

    /usr/bin/python3 scripts/bench_saliency.py [--bin build/smartcrop] [--baseline OTHER_BIN]
        [--rounds 3] [--flags "--input-size 360"] [PHOTO...]

Without photos it times a synthetic 1155x866 (1.0 MP) demo photo, 30 times.
Two figures per batch: the backend's own time from the --json records (resize,
cues, blur: decode and window search excluded), and the batch's wall time per
photo (everything: decode, backend, window search, at --ratio 16:9,4:5,1:1),
with the process pinned to CPU 0. With --baseline, the two binaries take turns
(--rounds times each, same photos) and the ratios are printed.
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


def batch(binary, photos, flags):
    """Returns (median backend ms, wall ms per photo) of one batch run over photos."""
    cmd = ["taskset", "-c", "0", binary, "--backend", "saliency", "--json", "--dry-run", "--quiet",
           *flags.split(), "--ratio", "16:9,4:5,1:1", "--", *photos]
    start = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    wall = time.perf_counter() - start
    records = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
    ms = sorted(r["seconds"]["saliency"] * 1000 for r in records[1:] or records)  # first: warm-up
    mp = statistics.median(r["width"] * r["height"] / 1e6 for r in records)
    return statistics.median(ms), ms[int(0.9 * (len(ms) - 1))], wall * 1000 / len(records), mp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "build", "smartcrop"))
    ap.add_argument("--baseline", help="another smartcrop binary to time in turn with --bin")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--flags", default="", help="extra smartcrop flags, one string")
    ap.add_argument("photos", nargs="*")
    a = ap.parse_args()
    binaries = [("bin", a.bin)] + ([("baseline", a.baseline)] if a.baseline else [])
    runs = {name: [] for name, _ in binaries}
    with tempfile.TemporaryDirectory() as tmp:
        photos = a.photos
        if not photos:
            sys.path.insert(0, HERE)
            import cv2
            from make_demo_image import make_demo
            image = make_demo(1155, 866)
            photos = [os.path.join(tmp, "demo_1mp_%02d.png" % i) for i in range(a.repeat)]
            for path in photos:  # distinct files: the batch drops repeated paths
                cv2.imwrite(path, image)
        for _ in range(a.rounds):
            for name, binary in binaries:
                runs[name].append(batch(binary, photos, a.flags))
    for name, binary in binaries:
        med = statistics.median(r[0] for r in runs[name])
        p90 = statistics.median(r[1] for r in runs[name])
        wall = statistics.median(r[2] for r in runs[name])
        print("%-8s %s: built-in saliency, 1 core: median %.1f ms (p90 %.1f), batch wall %.1f ms/photo, "
              "%d photos of %.2f MP, median of %d rounds"
              % (name, binary, med, p90, wall, len(photos), runs[name][0][3], a.rounds))
    if a.baseline:
        ratio = lambda i: statistics.median(r[i] for r in runs["bin"]) / statistics.median(r[i] for r in runs["baseline"])
        print("bin / baseline: backend %.3f, batch wall %.3f" % (ratio(0), ratio(2)))


if __name__ == "__main__":
    main()
