#!/usr/bin/python3
"""Start-up benchmark (not a test): one photo per process, as a CMS hook or an image
service calls smartcrop, before and after, against libvips, in one alternating run.

Variants, each timed --rounds times in turn (A B C ... A B C ...), medians reported:
  model-free single photo  smartcrop P --ratio 16:9 -o out.jpg --backend saliency
  --version                smartcrop --version
  DINO single photo        smartcrop P --ratio 16:9 -o out.jpg --backend dino --model M
  vips smartcrop           vips smartcrop P out.jpg 600 338 --interesting attention
  DINO batch (check)       smartcrop --from LIST -o DIR --backend dino --model M (--batch-photos copies of P)

for the `before` build (e.g. a build of main) and the `after` one. P is a generated
800x600 JPEG; M a random-weight ViT-S/16 (tests/export_test_models.py or
scripts/export_model.py make one). `vips` comes from libvips-tools, a benchmark-only
tool: apt-get install libvips-tools (the tests never need it).

  /usr/bin/python3 scripts/bench/bench_startup.py --before /tmp/main-build --after build \\
      --model build/test-models/vits16_random.pt --rounds 10
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ab_time import run_once  # noqa: E402

# Run in a child process: with numpy and OpenCV imported here, every timed child would
# start as a fork of a large process and report its size as its peak RSS.
MAKE_PHOTOS = """
import sys
import cv2
import numpy as np
for seed, path in enumerate(sys.argv[1:]):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:600, :800]
    image = np.clip(np.full((600, 800, 3), (90, 110, 100)) + rng.normal(0, 6, (600, 800, 3)), 0, 255)
    disc = (xx - 300 - 20 * seed) ** 2 + (yy - 250) ** 2 < 80 ** 2
    image[disc & (((xx // 8 + yy // 8) % 2) == 0)] = (20, 30, 240)
    image[disc & (((xx // 8 + yy // 8) % 2) == 1)] = (240, 250, 255)
    assert cv2.imwrite(path, image.astype(np.uint8))
"""


def make_photos(paths):
    """800x600 JPEGs: a textured disc off centre on a noisy background."""
    subprocess.run(["/usr/bin/python3", "-c", MAKE_PHOTOS, *map(str, paths)], check=True)


def launcher(folder):
    path = Path(folder) / "smartcrop"
    if not path.is_file():
        raise SystemExit(f"{path}: no smartcrop launcher there (give a build folder)")
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", required=True, help="folder with the baseline smartcrop (a build of main)")
    parser.add_argument("--after", default="build", help="folder with the smartcrop to measure")
    parser.add_argument("--model", default="build/test-models/vits16_random.pt", help="TorchScript ViT-S/16")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--work", default="/tmp/smartcrop-startup")
    parser.add_argument("--batch-photos", type=int, default=6, help="photos of the DINO batch check (0: none)")
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    photo = work / "photo_800x600.jpg"
    model = Path(args.model).resolve()
    if not model.is_file():
        raise SystemExit(f"{model}: no model (run /usr/bin/python3 tests/export_test_models.py build/test-models)")

    crop = f"{photo} --ratio 16:9 -o {work}/out.jpg --overwrite -q"
    batch_list = work / "batch.txt"
    batch_photos = [work / f"batch_{i}.jpg" for i in range(args.batch_photos)]
    make_photos([photo, *batch_photos])
    batch_list.write_text("".join(f"{path}\n" for path in batch_photos))
    variants = []
    for label, folder in (("before", args.before), ("after", args.after)):
        exe = launcher(folder).resolve()
        variants += [(f"{label}: model-free single photo", f"{exe} {crop} --backend saliency"),
                     (f"{label}: --version", f"{exe} --version"),
                     (f"{label}: DINO single photo", f"{exe} {crop} --backend dino --model {model}")]
        if batch_photos:
            variants.append((f"{label}: DINO batch of {len(batch_photos)}",
                             f"{exe} --from {batch_list} -o {work}/batch_out --overwrite -q --backend dino --model {model}"))
    if shutil.which("vips"):
        variants.append(("vips smartcrop (libvips)", f"vips smartcrop {photo} {work}/vips.jpg 600 338 --interesting attention"))
    else:
        print("vips not found: apt-get install libvips-tools (benchmark only); its row is left out")

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    print(f"CPU: {cpu}, {os.cpu_count()} threads; load average at start {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    results = {name: [] for name, _ in variants}
    for _ in range(args.rounds):
        for name, command in variants:
            results[name].append(run_once(command, str(work)))
    median = {name: statistics.median(r["wall"] for r in rows) for name, rows in results.items()}

    print(f"| variant | median wall s ({args.rounds} runs) | min | max | user s | minor faults | peak RSS MB |")
    print("|---|---|---|---|---|---|---|")
    for name, rows in results.items():
        walls = [r["wall"] for r in rows]
        print(f"| {name} | {median[name]:.3f} | {min(walls):.3f} | {max(walls):.3f} | "
              f"{statistics.median(r['user'] for r in rows):.3f} | "
              f"{statistics.median(r['faults'] for r in rows):.0f} | {statistics.median(r['rss_mb'] for r in rows):.0f} |")
    print()
    for what in ["model-free single photo", "--version", "DINO single photo"] + (
            [f"DINO batch of {len(batch_photos)}"] if batch_photos else []):
        print(f"{what}: after/before {median[f'after: {what}'] / median[f'before: {what}']:.2f}")
    free = median["after: model-free single photo"]
    vips = median.get("vips smartcrop (libvips)")
    print(f"target model-free single photo <= 0.15 s: {free:.3f} s, {'met' if free <= 0.15 else 'NOT met'}")
    if vips:
        print(f"target <= 1.5x libvips: {free / vips:.2f}x, {'met' if free <= 1.5 * vips else 'NOT met'}")
    dino = median["after: DINO single photo"] / median["before: DINO single photo"]
    print(f"target DINO single photo no slower: after/before {dino:.2f}")
    print(f"load average at end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
