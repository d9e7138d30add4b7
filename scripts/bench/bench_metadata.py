#!/usr/bin/python3
"""Prints what reading the steering regions (exiv2: embedded XMP, sidecar look-up)
costs per photo in a batch (the issue's target: under 1 ms).

    /usr/bin/python3 scripts/bench/bench_metadata.py [--bin build/smartcrop] [--photos 80]

Generates 12 MP JPEGs with camera-like metadata (EXIF with a 32 kB maker note, XMP
with 3 face regions and 40 keywords, written with exiftool) in three kinds: regions
embedded, embedded beside 400 keywords (a packet as large as Lightroom's), regions
in a PHOTO.jpg.xmp sidecar, no XMP at all. Runs them as one batch
(--json, --dry-run, built-in saliency at 96 px so the run is short) and reports, from
each photo's "seconds.metadata_cpu" (the decoding thread's CPU time) and
"seconds.metadata" (wall, lock waits included), the median, p95 and max per kind,
against the photo's decode time in the same run. With --ab, also the same batch with --regions
ignore, twice each way in alternating order: wall time per photo with and without (a
sub-millisecond difference drowns in run-to-run noise on a shared machine).
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time

import cv2
import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
KINDS = ("embedded", "heavy", "sidecar", "none")
FACES = ("{AppliedToDimensions={W=4000,H=3000,Unit=pixel},RegionList=["
         "{Area={X=0.30,Y=0.40,W=0.08,H=0.12,Unit=normalized},Type=Face,Name=Ann},"
         "{Area={X=0.55,Y=0.42,W=0.07,H=0.11,Unit=normalized},Type=Face,Name=Bob},"
         "{Area={X=0.75,Y=0.60,W=0.10,H=0.08,Unit=normalized},Type=Pet,Name=Rex}]}")


def make_photos(folder, count):
    rng = np.random.default_rng(0)
    base = os.path.join(folder, "base.jpg")
    img = cv2.GaussianBlur(rng.integers(0, 255, (3000, 4000, 3), dtype=np.uint8), (9, 9), 0)
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0112] = "Generic", "Camera 1", 1
    exif[0x927C] = bytes(rng.integers(0, 255, 32 * 1024, dtype=np.uint8))  # maker note
    Image.fromarray(img).save(base, quality=90, exif=exif.tobytes())
    keywords = [f"-XMP-dc:Subject=keyword{i}" for i in range(40)]
    embedded = os.path.join(folder, "embedded.jpg")
    shutil.copy(base, embedded)
    subprocess.run(["exiftool", "-q", "-overwrite_original", f"-XMP-mwg-rs:RegionInfo={FACES}", *keywords, embedded],
                   check=True)
    heavy = os.path.join(folder, "heavy.jpg")  # a Lightroom-sized packet: 400 keywords beside the regions
    shutil.copy(base, heavy)
    subprocess.run(["exiftool", "-q", "-overwrite_original", f"-XMP-mwg-rs:RegionInfo={FACES}",
                    *[f"-XMP-dc:Subject=keyword{i}" for i in range(400)], heavy], check=True)
    sidecar = os.path.join(folder, "sidecar.xmp")
    subprocess.run(["exiftool", "-q", f"-XMP-mwg-rs:RegionInfo={FACES}", *keywords, "-o", sidecar], check=True)
    photos = {kind: [] for kind in KINDS}
    for i in range(count):
        kind = KINDS[i % len(KINDS)]
        path = os.path.join(folder, f"p{i:04d}_{kind}.jpg")
        shutil.copy({"embedded": embedded, "heavy": heavy}.get(kind, base), path)
        if kind == "sidecar":
            shutil.copy(sidecar, path + ".xmp")
        photos[kind].append(path)
    return photos


def run(binary, photos, extra):
    cmd = [binary, *photos, "--backend", "saliency", "--input-size", "96", "--json", "--dry-run", "--quiet",
           *extra, "--ratio", "16:9"]
    start = time.monotonic()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return time.monotonic() - start, [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "..", "build", "smartcrop"))
    ap.add_argument("--photos", type=int, default=80)
    ap.add_argument("--ab", action="store_true", help="also time whole batches with --regions auto and ignore")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        by_kind = make_photos(tmp, a.photos)
        photos = sorted(p for paths in by_kind.values() for p in paths)
        _, records = run(a.bin, photos, [])
        print(f"metadata: {len(records)} JPEGs 4000x3000 (EXIF with 32 kB maker note; XMP 3 regions and 40 or 400 keywords), "
              "one batch, built-in saliency")
        for kind in KINDS:
            rows = [r for r in records if os.path.basename(r["input"]).endswith(f"_{kind}.jpg")]
            ms = sorted(r["seconds"]["metadata"] * 1000 for r in rows)
            cpu = sorted(r["seconds"]["metadata_cpu"] * 1000 for r in rows)
            decode = statistics.median(r["seconds"]["decode"] * 1000 for r in rows)
            steered = sum(r["steered_by"] == "xmp_faces" for r in rows)
            p95 = int(0.95 * (len(ms) - 1))
            print(f"  {kind:8s}: metadata CPU median {statistics.median(cpu):.3f} ms, p95 {cpu[p95]:.3f} ms, max "
                  f"{cpu[-1]:.3f} ms; wall median {statistics.median(ms):.3f} ms, p95 {ms[p95]:.3f} ms; decode median "
                  f"{decode:.1f} ms (metadata wall {statistics.median(ms) / decode:.2%} of it); "
                  f"{steered}/{len(rows)} steered by their regions")
        if not a.ab:
            return
        walls = {"auto": [], "ignore": []}
        for order in (("auto", "ignore"), ("ignore", "auto")):
            for mode in order:
                seconds, _ = run(a.bin, photos, ["--regions", mode])
                walls[mode].append(seconds / len(photos))
        auto, ignore = statistics.mean(walls["auto"]), statistics.mean(walls["ignore"])
        print(f"  whole batch: {auto * 1000:.2f} ms/photo with --regions auto, {ignore * 1000:.2f} ms/photo with "
              f"ignore, ratio {auto / ignore:.3f} (difference {(auto - ignore) * 1000:+.2f} ms/photo; "
              f"load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
