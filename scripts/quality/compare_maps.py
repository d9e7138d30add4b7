#!/usr/bin/python3
"""Checks that two smartcrop builds give the window search the same maps and boxes
(not a test: it needs real photos, e.g. the evaluation set, never copied here).

    /usr/bin/python3 scripts/quality/compare_maps.py --before OLD/smartcrop --after build/smartcrop \\
        [--flags "--backend saliency --strategy mass"] [--ratios 16:9,4:5,1:1] PHOTO...

Runs both with --requests (one line per photo and ratio) and --dump-maps, then
prints, per map plane (the cues, edges, combined saliency), how many photos
differ and the largest absolute difference, and how many crop boxes differ.
Exit 0 when every map is bit-identical and every box the same, 1 otherwise.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np


def run(binary, flags, requests, dump_dir):
    os.makedirs(dump_dir)
    cmd = [binary, "--quiet", *flags.split(), "--requests", requests, "--dump-maps", dump_dir]
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.splitlines()


def planes(dump_dir, stem):
    with open(os.path.join(dump_dir, stem + ".maps.json")) as f:
        meta = json.load(f)
    data = np.fromfile(os.path.join(dump_dir, stem + ".maps.f32"), dtype=np.float32)
    return meta, data.reshape(len(meta["planes"]), meta["height"], meta["width"])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", required=True)
    ap.add_argument("--after", required=True)
    ap.add_argument("--flags", default="--backend saliency --strategy mass")
    ap.add_argument("--ratios", default="16:9,4:5,1:1")
    ap.add_argument("--chunk", type=int, default=100, help="photos per run (the dumps are kept per chunk)")
    ap.add_argument("photos", nargs="+")
    a = ap.parse_args()
    ratios = [r.split(":") for r in a.ratios.split(",")]
    differing, largest, geometry, photos, gates, largest_gate = {}, {}, 0, 0, 0, 0.0
    boxes = {"before": [], "after": []}
    # In chunks: the dumps take ~1.5 MB per photo and side.
    for start in range(0, len(a.photos), a.chunk):
        with tempfile.TemporaryDirectory() as tmp:
            requests = os.path.join(tmp, "requests.tsv")
            with open(requests, "w") as f:
                for photo in a.photos[start:start + a.chunk]:
                    for w, h in ratios:
                        f.write("%s\t%s\t%s\n" % (os.path.abspath(photo), w, h))
            for name, binary in (("before", a.before), ("after", a.after)):
                boxes[name] += run(binary, a.flags, requests, os.path.join(tmp, name))
            stems = sorted(n[: -len(".maps.json")] for n in os.listdir(os.path.join(tmp, "before"))
                           if n.endswith(".maps.json"))
            photos += len(stems)
            for stem in stems:
                meta_b, before = planes(os.path.join(tmp, "before"), stem)
                meta_a, after = planes(os.path.join(tmp, "after"), stem)
                # The gate (a concentration of the saliency, a double) is compared apart:
                # it follows the planes, and a last-digit change must not hide them.
                gate_b, gate_a = meta_b.pop("gate", None), meta_a.pop("gate", None)
                if meta_b != meta_a or before.shape != after.shape:
                    geometry += 1
                    continue
                gates += gate_b != gate_a
                largest_gate = max(largest_gate, abs((gate_b or 0.0) - (gate_a or 0.0)))
                for name, pb, pa in zip(meta_b["planes"], before, after):
                    diff = float(np.max(np.abs(pb.astype(np.float64) - pa))) if pb.size else 0.0
                    differing[name] = differing.get(name, 0) + (pb.tobytes() != pa.tobytes())
                    largest[name] = max(largest.get(name, 0.0), diff)
    box_diffs = sum(x != y for x, y in zip(boxes["before"], boxes["after"]))
    print("%d photos, %d requests (%s), flags: %s" % (photos, len(boxes["before"]), a.ratios, a.flags))
    print("metadata or size differs (scale, planes): %d photos" % geometry)
    print("  gate      photos not bit-identical %d, largest |difference| %.3g" % (gates, largest_gate))
    for name in differing:
        print("  %-9s photos not bit-identical %d, largest |difference| %.3g" % (name, differing[name], largest[name]))
    print("crop boxes differing: %d of %d" % (box_diffs, len(boxes["before"])))
    ok = geometry == 0 and gates == 0 and not any(differing.values()) and box_diffs == 0 and len(boxes["before"]) == len(boxes["after"])
    print("identical" if ok else "NOT identical")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
