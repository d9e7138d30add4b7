#!/usr/bin/python3
"""Prints how long the built-in saliency backend takes per photo on one core
(the issue's target: under 20 ms for a 1-megapixel photo).

    /usr/bin/python3 scripts/bench_saliency.py [--bin build/smartcrop] [--flags "--input-size 360"] [PHOTO...]

Without photos it times a synthetic 1155x866 (1.0 MP) demo photo, 30 times.
The figure is the backend's own time from the --json records (resize, cues,
blur: decode and window search excluded), with the process pinned to CPU 0.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "build", "smartcrop"))
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--flags", default="", help="extra smartcrop flags, one string")
    ap.add_argument("photos", nargs="*")
    a = ap.parse_args()
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
        cmd = ["taskset", "-c", "0", a.bin, "--backend", "saliency", "--json", "--dry-run", "--quiet", *a.flags.split(), *photos]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    records = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
    ms = sorted(r["seconds"]["saliency"] * 1000 for r in records[1:] or records)  # first: warm-up
    mp = statistics.median(r["width"] * r["height"] / 1e6 for r in records)
    print("built-in saliency, 1 core: median %.1f ms, p90 %.1f ms over %d photos (median %.2f MP)"
          % (statistics.median(ms), ms[int(0.9 * (len(ms) - 1))], len(ms), mp))


if __name__ == "__main__":
    main()
