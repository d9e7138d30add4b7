#!/usr/bin/python3
"""Exports DINO ViT CLS self-attention as a TorchScript file for smartcrop.

The exported module maps an ImageNet-normalised RGB image [1, 3, H, W] (H, W multiples
of 16) to the last block's attention from the CLS token to every patch,
[1, heads, H/16, W/16]. Metadata for the C++ loader goes in the extra file
smartcrop_model.json.
"""
import argparse
import hashlib
import http.client
import json
import os
import pickle
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dino_vit import (ARCHITECTURES, GPU_OPTIMIZATIONS, KNOWN_OPTIMIZATIONS, OPTIMIZATIONS,  # noqa: E402
                      build_vit, cls_attention_map, has_sdpa)

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
METADATA_NAME = "smartcrop_model.json"
OFFICIAL_CHECKPOINTS = {
    "vit_small": "https://dl.fbaipublicfiles.com/dino/dino_deitsmall16_pretrain/dino_deitsmall16_pretrain.pth",
    "vit_base": "https://dl.fbaipublicfiles.com/dino/dino_vitbase16_pretrain/dino_vitbase16_pretrain.pth",
}
# Where official-weight models go by default. smartcrop loads the first one by default,
# so a random-weight model must never be written to any of these paths.
OFFICIAL_OUTPUTS = {"vit_small": "models/dino_vits16.pt", "vit_base": "models/dino_vitb16.pt"}
RANDOM_OUTPUTS = {
    "vit_small": "models/random_vits16.pt",
    "vit_base": "models/random_vitb16.pt",
    "tiny": "models/tiny_random.pt",
}
DOWNLOAD_TIMEOUT_S = 30
# The oldest LibTorch that can run a file this script writes, recorded as "min_torch" in
# the metadata; smartcrop's plugin refuses a file whose min_torch is newer than its own
# LibTorch, in one line with both versions. The plain and default exports written by
# torch 2.6 load and run in Debian 12's LibTorch 1.13 (tests/python/test_export.py), so
# the floor is 1.13, whatever torch writes the file. An optimization whose operators an
# older runtime lacks raises it: list it in MIN_TORCH_FOR (name -> "MAJOR.MINOR").
OLDEST_RUNTIME = "1.13"
# sdpa_blocks: TorchScript's aten::scaled_dot_product_attention exists from torch 2.0.
MIN_TORCH_FOR = {"sdpa_blocks": "2.0"}
# What a file is shaped for, recorded as "target" in the metadata; smartcrop's plugin warns in
# one line when it runs a file on the other kind of device. --target picks the savings.
TARGETS = {"cpu": OPTIMIZATIONS, "gpu": GPU_OPTIMIZATIONS}


def target_of(applied):
    """"gpu" for a file with fused attention (sdpa_blocks), else "cpu"."""
    return "gpu" if "sdpa_blocks" in applied else "cpu"


def make_readable(path):
    """Gives a mkstemp file (mode 0600) the mode a plain open() would have."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


class ExportError(Exception):
    """A failure to report as one 'error: ...' line."""


def cache_dir():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "smartcrop")


def download(url):
    """Returns the path of a cached copy of `url`, downloading it if needed."""
    target = os.path.join(cache_dir(), os.path.basename(urllib.parse.urlparse(url).path) or "checkpoint.pth")
    if os.path.exists(target):
        return target
    print(f"downloading {url}", file=sys.stderr)
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            # Download next to the target, then rename: an interrupted download
            # never leaves a truncated file that later runs would take as cached.
            fd, partial = tempfile.mkstemp(dir=os.path.dirname(target), suffix=".part")
            try:
                with os.fdopen(fd, "wb") as out:
                    while chunk := response.read(1 << 20):
                        out.write(chunk)
                make_readable(partial)
                os.replace(partial, target)
            except BaseException:
                os.unlink(partial)
                raise
    except (OSError, ValueError, http.client.HTTPException) as e:
        reason = getattr(e, "reason", None) or e
        raise ExportError(f"cannot download {url}: {reason}; "
                          f"copy the file here and pass --checkpoint PATH") from e
    return target


def resolve_checkpoint(source):
    """Returns (local path, name to record in the metadata) for a path or URL."""
    scheme = urllib.parse.urlparse(source).scheme
    if scheme in ("http", "https"):
        return download(source), source
    if scheme == "file":
        path = urllib.request.url2pathname(urllib.parse.urlparse(source).path)
    else:
        path = os.path.expanduser(source)
    if not os.path.isfile(path):
        raise ExportError(f"{source}: checkpoint file not found")
    return path, os.path.basename(path)


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def backbone_state_dict(checkpoint, label):
    """Returns the ViT weights from a plain or wrapped DINO checkpoint, with the
    prefixes DINO's load_pretrained_weights strips removed and head.* dropped."""
    for key in ("teacher", "student", "state_dict", "model"):
        if isinstance(checkpoint, dict) and isinstance(checkpoint.get(key), dict):
            checkpoint = checkpoint[key]
            break
    if not isinstance(checkpoint, dict):
        raise ExportError(f"{label}: checkpoint holds a {type(checkpoint).__name__}, not a state dict")
    state = {}
    for key, value in checkpoint.items():
        for prefix in ("module.", "backbone."):
            key = key[len(prefix):] if key.startswith(prefix) else key
        if not key.startswith("head."):  # the DINO projection head: training only
            state[key] = value
    return state


def load_official(vit, arch, path, label):
    try:
        # weights_only: a checkpoint from the internet must not run code when unpickled.
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        # torch wraps every failure in this error; a class name means a real pickle
        # that holds more than tensors, anything else a file that is no pickle at all
        # (torch 1.13 says "Unsupported class argparse.Namespace", 2.6 "Unsupported global").
        if "Unsupported class" not in str(e) and "Unsupported global" not in str(e):
            raise ExportError(f"{label}: not a PyTorch checkpoint ({str(e).split('error: ')[-1]})") from e
        raise ExportError(f"{label}: checkpoint holds Python objects besides tensors (a full training "
                          f"checkpoint?); torch.save its 'teacher' state dict alone and pass that") from e
    except Exception as e:
        reason = " ".join(str(e).split()) or type(e).__name__
        raise ExportError(f"{label}: not a PyTorch checkpoint ({reason})") from e
    state = backbone_state_dict(checkpoint, label)
    expected = vit.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        raise ExportError(f"{label}: checkpoint does not match --arch {arch}: "
                          + ", ".join(f"{what} {names[:5]}{'...' if len(names) > 5 else ''}"
                                      for what, names in (("missing", missing), ("unexpected", unexpected))
                                      if names))
    wrong_shapes = [f"{k} {tuple(state[k].shape)} != {tuple(v.shape)}"
                    for k, v in expected.items() if state[k].shape != v.shape]
    if wrong_shapes:
        raise ExportError(f"{label}: checkpoint does not match --arch {arch}: "
                          f"{len(wrong_shapes)} tensors of the wrong shape, e.g. {wrong_shapes[0]}")
    vit.load_state_dict(state, strict=True)


def resolve_output(args):
    if args.output:
        return os.path.abspath(args.output)
    table = RANDOM_OUTPUTS if args.random_init else OFFICIAL_OUTPUTS
    if args.arch not in table:
        raise ExportError(f"no default output file for --arch {args.arch} with checkpoint weights; pass -o PATH")
    return os.path.join(REPO_ROOT, table[args.arch])


def check_output_allowed(output, random_init):
    """Refuses to put random weights where smartcrop looks for a real model."""
    if not random_init:
        return
    real = os.path.realpath(output)
    for official in OFFICIAL_OUTPUTS.values():
        if real == os.path.realpath(os.path.join(REPO_ROOT, official)):
            raise ExportError(f"{output}: refusing to write a random-weight model to the default "
                              f"model path; choose another file with -o")


def torch_version_tuple(text):
    """(major, minor) of "2.6.0+cpu", "1.13"."""
    major, minor = text.split("+")[0].split(".")[:2]
    return int(major), int(minor)


def min_torch(applied):
    """The oldest LibTorch that can run a file with the optimizations `applied`."""
    needed = [OLDEST_RUNTIME] + [MIN_TORCH_FOR[name] for name in applied if name in MIN_TORCH_FOR]
    return max(needed, key=torch_version_tuple)


def save_atomic(module, output, metadata):
    """Writes the TorchScript file via a temporary file, so a failed export never
    leaves a half-written model where smartcrop would load it."""
    os.makedirs(os.path.dirname(output), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(output), suffix=".pt.tmp")
    os.close(fd)
    try:
        torch.jit.save(module, tmp, _extra_files={METADATA_NAME: json.dumps(metadata, indent=2)})
        make_readable(tmp)
        os.replace(tmp, output)
    except BaseException:
        os.unlink(tmp)
        raise


def verify(output, config):
    """Loads the saved file back and checks the output shape for two input shapes."""
    model = torch.jit.load(output, map_location="cpu")
    p = config.patch_size
    for height, width in ((14 * p, 14 * p), (10 * p, 22 * p)):
        with torch.inference_mode():
            attn = model(torch.zeros(1, 3, height, width))
        expected = (1, config.num_heads, height // p, width // p)
        if tuple(attn.shape) != expected or not torch.isfinite(attn).all():
            raise ExportError(f"{output}: verification failed: output {tuple(attn.shape)} for input "
                              f"{height}x{width}, expected finite {expected}")


def export(args):
    config = ARCHITECTURES[args.arch]
    source = args.checkpoint or OFFICIAL_CHECKPOINTS.get(args.arch)
    if not args.random_init and source is None:
        raise ExportError(f"no official checkpoint for --arch {args.arch}; "
                          f"pass --checkpoint PATH or --random-init")
    output = resolve_output(args)
    check_output_allowed(output, args.random_init)
    if args.random_init:
        torch.manual_seed(args.seed)
        vit = build_vit(args.arch)
        checkpoint, digest, weights = None, None, f"random seed={args.seed}"
    else:
        path, checkpoint = resolve_checkpoint(source)
        # smartcrop-model downloads the file itself: its URL is recorded and named, not the temporary file.
        label = getattr(args, "checkpoint_label", None) or source
        checkpoint = getattr(args, "checkpoint_label", None) or checkpoint
        vit = build_vit(args.arch, dino_init=False)
        load_official(vit, args.arch, path, label)
        digest = sha256_of(path)
        weights = f"official {checkpoint} sha256:{digest[:12]}"
    chosen = () if args.plain else TARGETS[args.target] if args.optimizations is None else args.optimizations
    wrapper, applied = cls_attention_map(vit.eval(), chosen)
    module = torch.jit.script(wrapper)
    metadata = {
        "format": 1,
        "architecture": args.arch,
        "patch_size": config.patch_size,
        "embed_dim": config.embed_dim,
        "depth": config.depth,
        "num_heads": config.num_heads,
        "weights": "random" if args.random_init else "official",
        "checkpoint": checkpoint,
        "sha256": digest,
        "seed": args.seed if args.random_init else None,
        "torch_version": torch.__version__,  # the torch that wrote the file
        "min_torch": min_torch(applied),
        "output": "cls_attention_last_block",
        "optimizations": applied,
        "target": target_of(applied),
    }
    save_atomic(module, output, metadata)
    if args.verify:
        verify(output, config)
    return output, weights


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", choices=sorted(ARCHITECTURES), default="vit_small",
                        help="architecture (default: %(default)s)")
    parser.add_argument("--checkpoint", metavar="PATH_OR_URL",
                        help="official DINO weights: a path, file:// or http(s) URL "
                             f"(default for vit_small: {OFFICIAL_CHECKPOINTS['vit_small']})")
    parser.add_argument("--random-init", action="store_true",
                        help="random weights, for tests and benchmarks only")
    parser.add_argument("--seed", type=int, default=0, help="seed for --random-init (default: %(default)s)")
    parser.add_argument("-o", "--output", metavar="PATH",
                        help=f"output file (default: {OFFICIAL_OUTPUTS['vit_small']} for official "
                             f"vit_small weights, models/random_*.pt or models/tiny_random.pt for random)")
    parser.add_argument("--verify", action="store_true", help="load the saved file back and run it")
    parser.add_argument("--plain", action="store_true",
                        help="export DINO's computation as is, without the default savings "
                             f"({', '.join(OPTIMIZATIONS)}; results agree to float rounding; with "
                             "torch >= 2.0 sdpa_blocks, whose file needs torch >= 2.0 to load)")
    parser.add_argument("--optimizations", metavar="LIST",
                        help="comma-separated savings to apply instead of all of them, for A/B "
                             "measurements ('' = none, like --plain)")
    parser.add_argument("--target", choices=sorted(TARGETS), default="cpu",
                        help="the device the file is shaped for (default: %(default)s): cpu attends one head "
                             f"at a time ({', '.join(OPTIMIZATIONS)}) and loads in LibTorch 1.13 and 2.x; gpu "
                             f"fuses the attention ({', '.join(GPU_OPTIMIZATIONS)}), needs torch >= 2.0 to export "
                             "and to load, and runs several times faster on a GPU. Recorded as \"target\" in "
                             "the file's metadata; smartcrop warns when the device is the other kind")
    args = parser.parse_args(argv)
    if args.target != "cpu" and (args.plain or args.optimizations is not None):
        parser.error("--target gpu and --plain/--optimizations exclude each other")
    if args.target == "gpu" and not has_sdpa():
        parser.error(f"--target gpu needs torch >= 2.0 (this is {torch.__version__}): export on the GPU "
                     "machine, whose torch has it")
    if args.optimizations is not None:
        if args.plain:
            parser.error("--plain and --optimizations exclude each other")
        chosen = tuple(name for name in args.optimizations.split(",") if name)
        unknown = sorted(set(chosen) - set(KNOWN_OPTIMIZATIONS))
        if unknown:
            parser.error(f"unknown optimizations {', '.join(unknown)} (known: {', '.join(KNOWN_OPTIMIZATIONS)})")
        if "sdpa_blocks" in chosen and not has_sdpa():
            parser.error(f"sdpa_blocks needs torch >= 2.0 (this is {torch.__version__})")
        args.optimizations = chosen
    if args.random_init and args.checkpoint:
        parser.error("--random-init and --checkpoint exclude each other")
    return args


def main(argv=None):
    args = parse_args(argv)
    start = time.monotonic()
    try:
        output, weights = export(args)
    except ExportError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # torch and OS errors: still one line, no traceback
        print(f"error: {type(e).__name__}: {' '.join(str(e).split())}", file=sys.stderr)
        return 1
    size_mb = os.path.getsize(output) / 1e6
    shown = args.output or os.path.relpath(output, REPO_ROOT)
    print(f"exported {args.arch} ({weights}) to {shown}, {size_mb:.1f} MB "
          f"in {time.monotonic() - start:.1f} s{', verified' if args.verify else ''}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
