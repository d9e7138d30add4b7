#!/usr/bin/env python3
"""Exports the random-weight models the tests use into DIR (skips ones already there):
tiny_random.pt (2 blocks, 3 heads) and vits16_random.pt (full ViT-S/16, 6 heads), and
needs_torch_99.pt: the tiny model with metadata saying it needs LibTorch 99.0, which every
plugin must refuse; target_gpu.pt: the tiny model with metadata saying it was exported for a
GPU (export_model.py --target gpu, which Debian 12's torch cannot write)."""
import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
MODELS = {"tiny_random.pt": ["--arch", "tiny", "--seed", "1"],
          "vits16_random.pt": ["--arch", "vit_small", "--seed", "0"]}
METADATA_NAME = "smartcrop_model.json"


def main() -> int:
    out = pathlib.Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for name, args in MODELS.items():
        target = out / name
        if target.exists():
            continue
        subprocess.run([sys.executable, str(ROOT / "scripts" / "export_model.py"), "--random-init", *args,
                        "-o", str(target)], check=True)
    needs_newer = out / "needs_torch_99.pt"
    if not needs_newer.exists():
        write_with_metadata(out / "tiny_random.pt", needs_newer, {"min_torch": "99.0", "torch_version": "99.1.0"})
    shaped_for_gpu = out / "target_gpu.pt"
    if not shaped_for_gpu.exists():
        write_with_metadata(out / "tiny_random.pt", shaped_for_gpu, {"target": "gpu"})
    return 0


def write_with_metadata(source, target, changes):
    """Copies the model at `source` to `target` with `changes` made to its smartcrop metadata."""
    import torch  # only here: the C++ tests need no torch in Python otherwise

    extra = {METADATA_NAME: ""}
    module = torch.jit.load(str(source), map_location="cpu", _extra_files=extra)
    metadata = dict(json.loads(extra[METADATA_NAME]), **changes)
    tmp = target.with_suffix(".tmp")
    torch.jit.save(module, str(tmp), _extra_files={METADATA_NAME: json.dumps(metadata, indent=2)})
    tmp.replace(target)


if __name__ == "__main__":
    sys.exit(main())
