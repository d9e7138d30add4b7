#!/usr/bin/python3
"""Two smartcrop runs started together on the same photos and the same output folder,
both with --skip-existing: what happens when a job is resubmitted while it still runs,
or a Kubernetes pod is replaced while the old one is still terminating (issue 24).

  /usr/bin/python3 scripts/bench/race_two_runs.py [--bin build/smartcrop] [--photos 600] [--tries 3] [--named-temps]

For each try the output folder starts empty; the two runs are started at the same moment
(each waits on one pipe that the script then closes). Printed per try: both exit codes,
how many of the photos x 2 crops exist and decode whole, the temp files left, and the
error lines by kind, and how many crops the two runs say they wrote together (each crop
exactly once: the total equals the crops). --named-temps makes both runs write through
named temp files, as on NFS (SMARTCROP_TEST_NAMED_TEMPS=1). Exits 1 if any try lost a
crop, wrote one twice, left a temp file or a run failed.
"""
import argparse
import collections
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

RATIOS = {"16x9": 16 / 9, "1x1": 1.0}


def make_photos(folder, count):
    """Writes `count` 320x240 noisy JPEGs with a bright disc, in 10 subfolders."""
    rng = np.random.default_rng(24)
    for i in range(count):
        img = rng.integers(40, 90, size=(240, 320, 3), dtype=np.uint8)
        cv2.circle(img, (int(rng.integers(60, 260)), int(rng.integers(60, 180))), 30, (0, 0, 255), -1)
        path = folder / f"d{i % 10}" / f"p{i:04d}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        assert cv2.imwrite(str(path), img)


def whole_crops(out, photos):
    """Returns how many expected crops exist and decode to an image of their ratio."""
    good = 0
    for photo in photos:
        rel = photo.relative_to(photo.parents[1])
        for label, ratio in RATIOS.items():
            path = out / rel.parent / f"{photo.stem}_{label}.jpg"
            img = cv2.imread(str(path)) if path.is_file() else None
            if img is not None and abs(img.shape[1] / img.shape[0] - ratio) < 0.02:
                good += 1
    return good


def error_kinds(stderr):
    kinds = collections.Counter()
    for line in stderr.splitlines():
        if line.startswith("error: "):
            reason = line.rsplit(": ", 1)[-1]
            kinds[reason if len(reason) < 80 else reason[:77] + "..."] += 1
    return kinds


def written(stderr):
    for line in stderr.splitlines():
        if line.startswith("summary: "):
            return int(line.split()[1])
    return 0


def one_try(binary, src, out, photos, env):
    shutil.rmtree(out, ignore_errors=True)
    read_end, write_end = os.pipe()
    # Both runs block reading the pipe, then exec smartcrop together when it closes.
    cmd = ["sh", "-c", f'read _ <&{read_end}; exec "$@"', "sh", binary, "-R", str(src), "--ratio", "16:9,1:1",
           "-o", str(out), "--skip-existing", "--backend", "saliency", "--input-size", "96"]
    logs = [tempfile.TemporaryFile("w+") for _ in range(2)]
    runs = [subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log, pass_fds=(read_end,), env=env)
            for log in logs]
    os.close(read_end)
    os.close(write_end)
    results = []
    for run, log in zip(runs, logs):
        code = run.wait()
        log.seek(0)
        results.append((code, log.read()))
        log.close()
    temps = [p for p in out.rglob("*") if ".tmp" in p.name]
    return results, whole_crops(out, photos), temps


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin", default="build/smartcrop")
    parser.add_argument("--photos", type=int, default=600)
    parser.add_argument("--tries", type=int, default=3)
    parser.add_argument("--named-temps", action="store_true", help="named temp files, as on NFS")
    args = parser.parse_args()
    env = dict(os.environ, SMARTCROP_TEST_NAMED_TEMPS="1" if args.named_temps else "0")
    binary = str(Path(args.bin).resolve())
    work = Path(tempfile.mkdtemp(prefix="smartcrop-race."))
    try:
        src, out = work / "in", work / "out"
        make_photos(src, args.photos)
        photos = sorted(src.rglob("*.jpg"))
        expected = len(photos) * len(RATIOS)
        print(f"two runs at once: {len(photos)} photos x 2 ratios = {expected} crops, both --skip-existing, "
              f"one output folder; {binary}{' (named temp files)' if args.named_temps else ''}")
        bad = 0
        for t in range(1, args.tries + 1):
            results, good, temps = one_try(binary, src, out, photos, env)
            codes = [code for code, _ in results]
            total = sum(written(stderr) for _, stderr in results)
            print(f"  try {t}: {good}/{expected} crops whole; exit codes {codes[0]} and {codes[1]}; "
                  f"{total} written by the two together; {len(temps)} temp files left")
            for i, (_, stderr) in enumerate(results, 1):
                summary = [line for line in stderr.splitlines() if line.startswith("summary:")]
                print(f"    run {i}: {summary[0] if summary else '(no summary)'}")
                for reason, n in error_kinds(stderr).most_common(3):
                    print(f"      {n} x error: ...: {reason}")
            bad += good != expected or total != expected or any(codes) or bool(temps)
        print("result:", "every try lost nothing, both runs exit 0" if bad == 0 else f"{bad} of {args.tries} tries went wrong")
        return 1 if bad else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
