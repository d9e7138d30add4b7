#!/usr/bin/python3
"""--compare, --compare-width and --review through the real binary.

Usage: compare_cli_test.py SMARTCROP_BINARY
"""
import os
import shutil
import subprocess
import sys
import tempfile

import cv2
import numpy as np


def photo(path, w, h, x, y):
    img = cv2.GaussianBlur(np.random.default_rng(2).integers(70, 160, (h, w, 3), dtype=np.uint8), (9, 9), 0)
    cv2.circle(img, (x, y), min(w, h) // 8, (40, 40, 230), -1)
    assert cv2.imwrite(path, img)


def run(binary, *args):
    return subprocess.run([binary, "--backend", "saliency", *args], capture_output=True, text=True, timeout=300)


def main():
    binary = sys.argv[1]
    work = tempfile.mkdtemp(prefix="smartcrop_compare_")
    try:
        a, b = os.path.join(work, "a.jpg"), os.path.join(work, "b.png")
        photo(a, 900, 600, 700, 300)
        photo(b, 500, 800, 250, 200)

        # One photo: --compare names a file, its extension sets the format.
        strip = os.path.join(work, "one.png")
        r = run(binary, a, "-r", "1:1", "--compare", strip)
        assert r.returncode == 0, r.stderr
        img = cv2.imread(strip)
        assert img is not None and 0 < img.shape[1] <= 2400, "one.png not written or too wide"

        # --compare-width caps the strip.
        r = run(binary, a, "-r", "16:9,1:1", "--compare", os.path.join(work, "narrow.jpg"), "--compare-width", "800")
        assert r.returncode == 0, r.stderr
        assert cv2.imread(os.path.join(work, "narrow.jpg")).shape[1] <= 800

        # Several photos: a folder of {stem}_compare.jpg, alongside the crops; --review alone is enough to run.
        folder = os.path.join(work, "strips")
        r = run(binary, a, b, "-r", "4:5", "-o", os.path.join(work, "crops"), "--compare", folder,
                "--review", os.path.join(work, "review"))
        assert r.returncode == 0, r.stderr
        assert sorted(os.listdir(folder)) == ["a_compare.jpg", "b_compare.jpg"], os.listdir(folder)
        assert os.path.exists(os.path.join(work, "review", "index.html"))
        r = run(binary, a, "--review", os.path.join(work, "review2"))
        assert r.returncode == 0, r.stderr

        # An unwritable format for a single strip is a set-up error naming the file.
        r = run(binary, a, "--compare", os.path.join(work, "strip.gif"))
        assert r.returncode == 2 and "strip.gif" in r.stderr, (r.returncode, r.stderr)
        print("ok")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
