#!/usr/bin/python3
"""Speed benchmark: smartcrop against the Python reference, and against the machine (prints tables; not a test).

In one run, on the same generated photos and the same random-weight ViT-S/16 file:
  (a) the Python reference pipeline (scripts/quality/reference_pipeline.py in-process, model loaded once),
  (b) smartcrop in batch mode (one process, all photos, crops written; model load included),
  (c) smartcrop run once per photo (`smartcrop in.jpg --ratio 16:9 -o out.jpg`, model load included),
  (d) the bare model forward in C++ (`smartcrop --bench-forward 1`: decode and resize untimed),
  (e) the Python reference run once per photo (one process per photo, model load included),
for each precision asked for, with seconds per photo, ratios, achieved GFLOP/s and the share of
a torch.mm peak measured in the same run; then an --input-size trade-off table.

  /usr/bin/python3 scripts/bench/bench_speed.py --bin build/smartcrop
"""
import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch

SCRIPTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(SCRIPTS / "quality"))
import reference_pipeline  # noqa: E402

PATCH = 16
DIM, DEPTH, MLP = 384, 12, 4  # ViT-S/16
# Mixed sizes and aspects, as a camera roll has them.
SIZES = [(1200, 800), (800, 1200), (1600, 1200), (4000, 3000), (1920, 1080), (1080, 1920),
         (2400, 2400), (3000, 2000), (1024, 768), (2048, 1536), (640, 480), (3000, 1000)]


def make_photos(folder, count):
    """Writes `count` generated JPEGs (smooth colour fields, noise, one bright disc)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    paths = []
    for i in range(count):
        w, h = SIZES[i % len(SIZES)]
        path = folder / f"photo_{i:02d}_{w}x{h}.jpg"
        paths.append(path)
        small = rng.integers(30, 220, size=(h // 64 + 2, w // 64 + 2, 3), dtype=np.uint8)
        img = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
        img = cv2.add(img, rng.integers(0, 24, size=(h, w, 3), dtype=np.uint8))
        centre = (int(rng.integers(w // 5, 4 * w // 5)), int(rng.integers(h // 5, 4 * h // 5)))
        cv2.circle(img, centre, min(w, h) // 7, (30, 40, 240), -1)
        if not path.exists():
            cv2.imwrite(str(path), img, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return paths


def grid(width, height, input_size):
    """Patch grid (rows, cols) the pipeline analyses a width x height photo at."""
    scale = input_size / min(width, height)
    return (int(np.floor(height * scale + 0.5)) // PATCH, int(np.floor(width * scale + 0.5)) // PATCH)


def forward_flops(rows, cols, optimized=True):
    """Multiply-adds x 2 of one ViT-S/16 CLS-attention forward on a rows x cols patch grid.

    N = rows*cols + 1 tokens, D = 384. Per full block: Linear layers 2*N*(3D*D + D*D + 4D*D + 4D*D)
    = 24*N*D^2, QK^T and AV 2*N*N*D each = 4*N^2*D. Blocks 1..11 are full; the last one is
    q,k for the CLS row only, 2*D^2*(N+1) + 2*N*D, when exported optimized (else its qkv
    6*N*D^2 and QK^T 2*N^2*D). Patch embedding 2*(N-1)*768*D. LayerNorm, softmax, GELU not counted."""
    n = rows * cols + 1
    full = 24 * n * DIM ** 2 + 4 * n * n * DIM
    last = 2 * DIM ** 2 * (n + 1) + 2 * n * DIM if optimized else 6 * n * DIM ** 2 + 2 * n * n * DIM
    return (DEPTH - 1) * full + last + 2 * (n - 1) * 3 * PATCH * PATCH * DIM


def mm_peak(dtype, threads, size=2048, seconds=1.5):
    """Best GFLOP/s of torch.mm on size x size matrices (same libtorch as the C++ build)."""
    torch.set_num_threads(threads)
    a, b = torch.randn(size, size).to(dtype), torch.randn(size, size).to(dtype)
    torch.mm(a, b)
    best, deadline = 0.0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        start = time.perf_counter()
        torch.mm(a, b)
        best = max(best, 2 * size ** 3 / (time.perf_counter() - start) / 1e9)
    return best


def timed(command):
    start = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(map(str, command))}\n{done.stderr[-2000:]}")
    return time.monotonic() - start, done.stdout


def boxes_from_json(stdout):
    return {Path(r["input"]).name: r["crops"][0]["box"] for r in map(json.loads, stdout.splitlines())}


class Bf16Model:
    """The reference's model under CPU autocast bf16, as smartcrop --precision bf16 runs it."""

    def __init__(self, model):
        self.model = model

    def __call__(self, x):
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return self.model(x).float()


def python_reference(model_path, photos, input_size, threads, bf16):
    """(load seconds, seconds per photo, boxes) of the reference in this process."""
    torch.set_num_threads(threads)
    args = reference_pipeline.parse_args(["--model", str(model_path), "--input-size", str(input_size), "x"])
    start = time.monotonic()
    model = torch.jit.load(str(model_path), map_location="cpu").eval()
    load = time.monotonic() - start
    if bf16:
        model = Bf16Model(model)
    boxes = {}
    start = time.monotonic()
    for path in photos:
        result, _, _ = reference_pipeline.analyse(model, str(path), args)
        boxes[path.name] = result["box"]
    return load, (time.monotonic() - start) / len(photos), boxes


def native_bf16():
    flags = next((l.split(":", 1)[1].split() for l in open("/proc/cpuinfo") if l.startswith("flags")), [])
    return "avx512_bf16" in flags or "amx_bf16" in flags


def load_average():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default="build/smartcrop")
    parser.add_argument("--model", default="/tmp/smartcrop-speed/random_vits16.pt",
                        help="random-weight ViT-S/16 (exported with the default savings if missing)")
    parser.add_argument("--work", default="/tmp/smartcrop-speed")
    parser.add_argument("--photos", type=int, default=12)
    parser.add_argument("--single", type=int, default=4, help="photos for the once-per-photo runs (c), (e)")
    parser.add_argument("--input-size", type=int, default=480)
    parser.add_argument("--precisions", default="fp32,bf16")
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--rounds", type=int, default=2, help="repeat the comparison; report the best")
    parser.add_argument("--tradeoff-sizes", default="224,320,480", help="'' to skip the trade-off table")
    args = parser.parse_args()

    work = Path(args.work)
    model = Path(args.model)
    if not model.exists():
        subprocess.run([sys.executable, str(SCRIPTS / "export_model.py"), "--random-init", "--seed", "0",
                        "-o", str(model)], check=True)
    photos = make_photos(work / "photos", args.photos)
    single = photos[:args.single]
    meta = {"smartcrop_model.json": ""}
    torch.jit.load(str(model), _extra_files=meta)
    optimizations = json.loads(meta["smartcrop_model.json"]).get("optimizations", [])
    grids = [grid(*map(int, p.stem.split("_")[-1].split("x")), args.input_size) for p in photos]
    flops = sum(forward_flops(r, c, "cls_only_last_block" in optimizations) for r, c in grids) / len(photos)
    mean_tokens = sum(r * c + 1 for r, c in grids) / len(grids)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"machine: {cpu}, {args.threads} threads, native bf16: {'yes' if native_bf16() else 'no'}; "
          f"torch {torch.__version__}; load average at start {load_average()}")
    print(f"photos: {len(photos)} generated JPEGs, {min(SIZES)[0]}..{max(w for w, _ in SIZES)} px wide, "
          f"input size {args.input_size} (mean {mean_tokens:.0f} tokens); once-per-photo runs on {len(single)}")
    print(f"model: {model} ({', '.join(optimizations) or 'plain'}); mean forward {flops / 1e9:.1f} GFLOP "
          f"(Linear + QK^T + AV + patch conv, see forward_flops)")
    peaks = {"fp32": mm_peak(torch.float32, args.threads), "bf16": mm_peak(torch.bfloat16, args.threads)}
    print(f"torch.mm 2048^3 peak: fp32 {peaks['fp32']:.0f} GFLOP/s, bf16 {peaks['bf16']:.0f} GFLOP/s\n")

    common = ["--backend", "dino", "--model", str(model), "--input-size", str(args.input_size),
              "--threads", str(args.threads), "-q"]
    # Each figure is the best of --rounds; the order of the measurements alternates between
    # rounds, so load from other processes that comes and goes hurts no column more than another.
    best = {}
    batch_boxes, moved = {}, {}
    precisions = args.precisions.split(",")
    for round_ in range(args.rounds):
        for precision in precisions if round_ % 2 == 0 else precisions[::-1]:
            flags = common + ["--precision", precision]
            bf16 = precision == "bf16" or (precision == "auto" and native_bf16())
            out = work / f"out-{precision}"

            def python_batch():
                _, per_photo, boxes = python_reference(model, photos, args.input_size, args.threads, bf16)
                moved[precision] = boxes
                return per_photo

            def cpp_batch():
                seconds, stdout = timed([args.bin, str(work / "photos"), "-o", str(out), "--overwrite", "--json",
                                         "--ratio", "16:9", *flags])
                batch_boxes[precision] = boxes_from_json(stdout)
                return seconds / len(photos)

            def cpp_forward():
                _, stdout = timed([args.bin, str(work / "photos"), "--bench-forward", "1", *flags])
                return json.loads(stdout)["seconds_per_forward"]

            def cpp_single():
                return sum(timed([args.bin, str(p), "--ratio", "16:9", "-o", str(out / f"single_{p.name}"),
                                  "--overwrite", *flags])[0] for p in single) / max(1, len(single))

            def python_single():
                if bf16:
                    return float("nan")
                return sum(timed([sys.executable, str(SCRIPTS / "quality" / "reference_pipeline.py"), "--model", str(model),
                                  "--input-size", str(args.input_size), str(p)])[0]
                           for p in single) / max(1, len(single))

            steps = [("a", python_batch), ("b", cpp_batch), ("d", cpp_forward), ("c", cpp_single),
                     ("e", python_single)]
            for name, step in steps if round_ % 2 == 0 else steps[::-1]:
                value = step()
                key = (precision, name)
                best[key] = value if key not in best or not value >= best[key] else best[key]
            print(f"[round {round_ + 1}, {precision}] done, load average {load_average()}", file=sys.stderr)
    rows = []
    for precision in precisions:
        bf16 = precision == "bf16" or (precision == "auto" and native_bf16())
        py_boxes = moved[precision]
        diff = max(max(abs(a - b) for a, b in zip(py_boxes[k], batch_boxes[precision][k])) for k in py_boxes)
        rows.append((precision, best[(precision, "a")], None, best[(precision, "b")], best[(precision, "c")],
                     best[(precision, "d")], best[(precision, "e")], diff, bf16))

    print("| precision | (a) Python ref s/photo | (b) batch s/photo | (c) single run s/photo | "
          "(d) bare forward s | (e) Python single s/photo | (a)/(b) | (e)/(c) | (b)/(d) | "
          "forward GFLOP/s | share of mm peak | max box diff (a) vs (b) px |")
    print("|" + "---|" * 12)
    for precision, py_photo, py_load, batch_photo, single_cpp, forward, single_py, moved, bf16 in rows:
        gflops = flops / forward / 1e9
        peak = peaks["bf16" if bf16 else "fp32"]
        py_single = f"{single_py:.2f}" if single_py == single_py else "-"
        py_ratio = f"{single_py / single_cpp:.2f}" if single_py == single_py else "-"
        print(f"| {precision}{' (bf16)' if precision == 'auto' and bf16 else ''} | {py_photo:.3f}"
              f"{' (bf16 autocast)' if bf16 else ''} | {batch_photo:.3f} | {single_cpp:.2f} | {forward:.3f} | "
              f"{py_single} | {py_photo / batch_photo:.2f} | {py_ratio} | {batch_photo / forward:.2f} | "
              f"{gflops:.0f} | {gflops / peak:.0%} of {peak:.0f} | {moved} |")
    print(f"\nBest of {args.rounds} rounds. (a) in-process, model loaded once (load not counted); (b) wall clock of one process over all "
          "photos incl. start, model load, decode and writing; (c), (e) wall clock per process incl. "
          "start and model load; (d) forward() only. (e) is run for fp32 only.")

    sizes = [int(s) for s in args.tradeoff_sizes.split(",") if s]
    if sizes:
        precision = args.precisions.split(",")[-1]
        print(f"\n--input-size trade-off ({precision}, batch mode, {len(photos)} photos, 16:9 crops; "
              f"box shift = largest |dx|,|dy| of the box vs {max(sizes)}, in % of the photo's short side)")
        print("| input size | s/photo | mean tokens | mean shift | max shift | boxes identical |")
        print("|---|---|---|---|---|---|")
        results = {}
        for size in sorted(sizes, reverse=True):
            flags = ["--backend", "dino", "--model", str(model), "--input-size", str(size), "--threads",
                     str(args.threads), "-q", "--precision", precision]
            seconds, stdout = timed([args.bin, str(work / "photos"), "-n", "--json", "--ratio", "16:9", *flags])
            results[size] = (seconds / len(photos), boxes_from_json(stdout))
        base = results[max(sizes)][1]
        for size in sorted(sizes):
            per_photo, boxes = results[size]
            shifts = []
            for p in photos:
                w, h = map(int, p.stem.split("_")[-1].split("x"))
                a, b = boxes[p.name], base[p.name]
                shifts.append(max(abs(a[0] - b[0]), abs(a[1] - b[1])) / min(w, h) * 100)
            tokens = sum(r * c + 1 for r, c in (grid(*map(int, p.stem.split("_")[-1].split("x")), size)
                                                for p in photos)) / len(photos)
            same = sum(s == 0 for s in shifts)
            print(f"| {size} | {per_photo:.3f} | {tokens:.0f} | {np.mean(shifts):.1f}% | {max(shifts):.1f}% | "
                  f"{same}/{len(photos)} |")
    print(f"\nload average at end {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
