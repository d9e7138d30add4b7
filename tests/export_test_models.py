#!/usr/bin/env python3
"""Exports the random-weight models the tests use into DIR (skips ones already there):
tiny_random.pt (2 blocks, 3 heads) and vits16_random.pt (full ViT-S/16, 6 heads)."""
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
MODELS = {"tiny_random.pt": ["--arch", "tiny", "--seed", "1"],
          "vits16_random.pt": ["--arch", "vit_small", "--seed", "0"]}


def main() -> int:
    out = pathlib.Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for name, args in MODELS.items():
        target = out / name
        if target.exists():
            continue
        subprocess.run([sys.executable, str(ROOT / "scripts" / "export_model.py"), "--random-init", *args,
                        "-o", str(target)], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
