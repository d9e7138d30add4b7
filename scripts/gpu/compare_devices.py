#!/usr/bin/python3
"""Crop boxes and attention of runs in other devices and precisions against a reference run
(CPU fp32 by default): per run, how many boxes moved, by how much at most, and how far the
per-head attention strayed. Prints a table; writes it as JSON with --json; exits 1 if a run
failed, or moved a box by more than --max-move pixels when that is given.

  compare_devices.py BIN MODEL PHOTO_DIR WORK --run gpu-fp32=cuda:fp32 --run gpu-bf16=cuda:bf16
  compare_devices.py BIN MODEL PHOTO_DIR WORK --run tf32=cpu:fp32:/tmp/tf32-emulated.pt

A run is LABEL=DEVICE:PRECISION[:MODEL]: smartcrop's --device and --precision, and the model
file when it is not MODEL (e.g. a file from scripts/gpu/emulate_precision.py). The reference
runs one photo at a time; the others in batches of --batch-size. A box moved when any of x, y,
w, h differs; its move is the largest of those differences, in pixels of the photo.
"""
import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def run(args, label, device, precision, model, batch):
    dump = Path(args.work) / f"heads_{label}"
    dump.mkdir(parents=True, exist_ok=True)
    command = [args.bin, args.photos, "--backend", "dino", "--model", model, "--device", device,
               "--precision", precision, "--batch-size", str(batch), "--ratio", args.ratios, "--json",
               "--dump-attention", str(dump), "-v"]
    start = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.monotonic() - start
    if done.returncode != 0:
        print(f"{label}: exit {done.returncode}: {done.stderr.strip()[-600:]}", file=sys.stderr)
        return None
    notes = [line for line in done.stderr.splitlines() if "loaded model" in line or "device" in line
             or "warning" in line]
    boxes = {r["input"]: [c["box"] for c in r["crops"]] for r in map(json.loads, done.stdout.splitlines())}
    return {"dump": dump, "boxes": boxes, "notes": notes, "seconds": seconds}


def compare(reference, other):
    moves = []
    for name, boxes in reference["boxes"].items():
        for a, b in zip(boxes, other["boxes"].get(name, [])):
            moves.append(max(abs(p - q) for p, q in zip(a, b)))
    worst_abs, worst_corr = 0.0, 1.0
    for file in sorted(reference["dump"].glob("*.heads.f32")):
        a = np.fromfile(file, np.float32)
        b = np.fromfile(other["dump"] / file.name, np.float32)
        worst_abs = max(worst_abs, float(np.abs(a - b).max()))
        if a.std() > 0 and b.std() > 0:
            worst_corr = min(worst_corr, float(np.corrcoef(a, b)[0, 1]))
    moved = [m for m in moves if m > 0]
    return {"boxes": len(moves), "moved": len(moved), "moved_over_8px": sum(m > 8 for m in moved),
            "largest_move_px": max(moves, default=0), "median_move_px": float(np.median(moved)) if moved else 0.0,
            "attention_max_abs_diff": worst_abs, "attention_min_corr": worst_corr}


def parse_run(text, default_model):
    label, _, spec = text.partition("=")
    parts = spec.split(":")
    if not label or len(parts) < 2:
        raise argparse.ArgumentTypeError(f"{text}: expected LABEL=DEVICE:PRECISION[:MODEL]")
    device = parts[0] if parts[0] != "cuda" or len(parts) < 3 or not parts[1].isdigit() else f"{parts[0]}:{parts[1]}"
    rest = parts[1:] if device == parts[0] else parts[2:]
    precision = rest[0]
    model = ":".join(rest[1:]) or default_model
    return label, device, precision, model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("bin")
    parser.add_argument("model")
    parser.add_argument("photos")
    parser.add_argument("work")
    parser.add_argument("--reference", default="cpu:fp32", help="DEVICE:PRECISION[:MODEL] (default %(default)s)")
    parser.add_argument("--run", action="append", default=[], help="LABEL=DEVICE:PRECISION[:MODEL], repeatable")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--ratios", default="16:9,1:1,4:5")
    parser.add_argument("--max-move", type=int, help="exit 1 if a run moves a box by more pixels than this")
    parser.add_argument("--json", help="write the table here")
    args = parser.parse_args()
    _, ref_device, ref_precision, ref_model = parse_run("reference=" + args.reference, args.model)
    reference = run(args, "reference", ref_device, ref_precision, ref_model, 1)
    if reference is None:
        return 1
    photos = len(reference["boxes"])
    print(f"reference: {ref_device} {ref_precision} {ref_model}, {photos} photos x {len(args.ratios.split(','))} "
          f"ratios, {reference['seconds']:.0f} s")
    rows, failed = [], False
    for text in args.run:
        label, device, precision, model = parse_run(text, args.model)
        result = run(args, label, device, precision, model, args.batch_size)
        if result is None:
            failed = True
            rows.append({"run": label, "device": device, "precision": precision, "model": model, "failed": True})
            continue
        row = {"run": label, "device": device, "precision": precision, "model": model, "seconds": result["seconds"]}
        row.update(compare(reference, result))
        rows.append(row)
        for note in result["notes"][:3]:
            print(f"  {label}: {note}")
    print("| run | device | precision | boxes moved | moved > 8 px | largest move px | median move px "
          "| attention max abs diff | attention min corr |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        if row.get("failed"):
            print(f"| {row['run']} | {row['device']} | {row['precision']} | FAILED | | | | | |")
            continue
        print(f"| {row['run']} | {row['device']} | {row['precision']} | {row['moved']} of {row['boxes']} "
              f"| {row['moved_over_8px']} | {row['largest_move_px']} | {row['median_move_px']:.0f} "
              f"| {row['attention_max_abs_diff']:.3g} | {row['attention_min_corr']:.6f} |")
    if args.json:
        Path(args.json).write_text(json.dumps({"reference": args.reference, "photos": photos, "runs": rows}, indent=1))
    too_far = [r["run"] for r in rows if args.max_move is not None and r.get("largest_move_px", 0) > args.max_move]
    if too_far:
        print(f"moved a box by more than {args.max_move} px: {', '.join(too_far)}")
    return 1 if failed or too_far else 0


if __name__ == "__main__":
    sys.exit(main())
