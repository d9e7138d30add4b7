#!/usr/bin/python3
"""Attention and boxes of one model on two devices (e.g. --device cuda against --device cpu, both
fp32): the largest absolute difference of the per-head attention, and whether every crop box is
the same. Prints a summary; exits 1 if a box differs.

  python3 compare_devices.py BIN MODEL PHOTO_DIR WORK [--batch-size B]
"""
import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np


def run(bin_, model, photos, work, device, batch):
    dump = Path(work) / f"heads_{device.replace(':', '_')}"
    dump.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([bin_, photos, "--backend", "dino", "--model", model, "--device", device,
                           "--precision", "fp32", "--batch-size", str(batch), "--ratio", "16:9,1:1,4:5",
                           "--json", "--dump-attention", str(dump), "-v"], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{device}: exit {done.returncode}: {done.stderr[-800:]}")
    device_lines = [line for line in done.stderr.splitlines() if "device" in line][:2]
    records = {r["input"]: [c["box"] for c in r["crops"]] for r in map(json.loads, done.stdout.splitlines())}
    return dump, records, device_lines


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bin")
    parser.add_argument("model")
    parser.add_argument("photos")
    parser.add_argument("work")
    parser.add_argument("--devices", default="cuda,cpu")
    parser.add_argument("--batch-size", type=int, default=8)
    args = parser.parse_args()
    first, second = args.devices.split(",")
    dump_a, boxes_a, lines_a = run(args.bin, args.model, args.photos, args.work, first, args.batch_size)
    dump_b, boxes_b, lines_b = run(args.bin, args.model, args.photos, args.work, second, 1)
    print("\n".join(lines_a + lines_b))
    worst = 0.0
    for file in sorted(dump_a.glob("*.heads.f32")):
        a = np.fromfile(file, np.float32)
        b = np.fromfile(dump_b / file.name, np.float32)
        worst = max(worst, float(np.abs(a - b).max()))
    differ = [name for name in boxes_a if boxes_a[name] != boxes_b.get(name)]
    print(f"{len(boxes_a)} photos, 3 ratios: attention max abs difference {first} vs {second} (fp32) {worst:.3g}; "
          f"boxes equal on {len(boxes_a) - len(differ)} of {len(boxes_a)} photos")
    for name in differ[:5]:
        print(f"  differs: {name}: {boxes_a[name]} vs {boxes_b.get(name)}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
