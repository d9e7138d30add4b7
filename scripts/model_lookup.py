"""Where smartcrop looks for its DINO model, and what a model file says about itself.

The same places, in the same order, as the engine (src/install_layout.hpp and
resolve_model_path in src/saliency/backend_factory.cpp): --model, $SMARTCROP_MODEL, the
per-user folder, the system folder and, only from a source tree, its models/. The
lines describe_lookup() returns are the ones `smartcrop -v` logs, so that
`smartcrop-model info` and the engine can be compared line for line (tests/cli).
Needs no torch: a model's metadata is read from the TorchScript zip directly.
"""
import json
import os
import zipfile

MODEL_FILE = "dino_vits16.pt"
SYSTEM_MODEL_DIR = "/var/lib/smartcrop/models"
METADATA_NAME = "smartcrop_model.json"
OFFICIAL_CHECKPOINTS = {
    "vit_small": "https://dl.fbaipublicfiles.com/dino/dino_deitsmall16_pretrain/dino_deitsmall16_pretrain.pth",
    "vit_base": "https://dl.fbaipublicfiles.com/dino/dino_vitbase16_pretrain/dino_vitbase16_pretrain.pth",
}
# The file each architecture is written to in a model folder; smartcrop loads dino_vits16.pt.
MODEL_FILES = {"vit_small": MODEL_FILE, "vit_base": "dino_vitb16.pt", "tiny": "dino_tiny16.pt"}
NAMED = ("--model", "$SMARTCROP_MODEL")


def source_tree():
    """The source tree this code runs from (the folder above scripts/), or None when it
    is installed (under share/smartcrop/python/, which holds no CMakeLists.txt)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        with open(os.path.join(root, "CMakeLists.txt"), encoding="utf-8") as f:
            is_ours = "project(smartcrop " in f.read()
    except OSError:
        return None
    return root if is_ours and os.path.isfile(os.path.join(root, "scripts", "export_model.py")) else None


def home_dir(env):
    home = env.get("HOME", "")
    if home.startswith("/"):
        return home
    try:
        import pwd
        return pwd.getpwuid(os.geteuid()).pw_dir
    except (ImportError, KeyError):
        return ""


def user_model_dir(env=None):
    """$XDG_DATA_HOME/smartcrop/models (when absolute), else ~/.local/share/smartcrop/models."""
    env = os.environ if env is None else env
    data = env.get("XDG_DATA_HOME", "")
    if data.startswith("/"):  # the XDG spec: a relative value is invalid and ignored
        return os.path.join(data, "smartcrop", "models")
    home = home_dir(env)
    return os.path.join(home, ".local", "share", "smartcrop", "models") if home else ""


def model_places(requested="", env=None):
    """[(name, path)] in the order smartcrop tries them; path "" for one not given."""
    env = os.environ if env is None else env
    user = user_model_dir(env)
    places = [("--model", requested or ""), ("$SMARTCROP_MODEL", env.get("SMARTCROP_MODEL", "")),
              ("per-user folder", os.path.join(user, MODEL_FILE) if user else ""),
              ("system folder", os.path.join(SYSTEM_MODEL_DIR, MODEL_FILE))]
    tree = source_tree()
    if tree:
        places.append(("source tree", os.path.join(tree, "models", MODEL_FILE)))
    return places


def resolve(requested="", env=None):
    """Returns (lines, chosen): the lookup as `smartcrop -v` logs it, and the (name, path)
    smartcrop would load, or None. A named file is chosen whether it exists or not."""
    lines, chosen = [], None
    for number, (name, path) in enumerate(model_places(requested, env), 1):
        found = bool(path) and os.path.exists(path)
        if path and chosen is None and (found or name in NAMED):
            chosen = (name, path)
        if not path:
            state = "not given" if name == "--model" else "not set" if name == "$SMARTCROP_MODEL" else "no home folder"
        else:
            state = path + (": found" if found else ": not found") + (" <- used" if chosen == (name, path) else "")
        lines.append(f"{number}. {name}: {state}")
    return lines, chosen


class ModelFileError(Exception):
    """A file that is not a smartcrop model: one line, the reason."""


def read_metadata(path):
    """The smartcrop_model.json stored in a TorchScript file, parsed."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.endswith("/extra/" + METADATA_NAME)]
            if not names:
                raise ModelFileError("a TorchScript file without smartcrop's metadata (not exported by "
                                     "scripts/export_model.py or smartcrop-model)")
            return json.loads(archive.read(names[0]))
    except zipfile.BadZipFile as e:
        raise ModelFileError("not a TorchScript file (not a zip archive)") from e
    except (OSError, ValueError) as e:
        raise ModelFileError(f"cannot read its metadata: {e}") from e


def weights_origin(meta):
    """Where the weights came from, in words: official + hash, random, or a checkpoint."""
    if meta.get("weights") == "random":
        return f"random (seed {meta.get('seed')}): for tests and benchmarks only, its crops mean nothing"
    checkpoint, digest = meta.get("checkpoint") or "unknown", meta.get("sha256") or "not recorded"
    if checkpoint in OFFICIAL_CHECKPOINTS.values():
        return f"the official DINO checkpoint, downloaded from {checkpoint}, sha256 {digest}"
    official_names = {url.rsplit("/", 1)[1] for url in OFFICIAL_CHECKPOINTS.values()}
    if checkpoint in official_names:
        return f"the file {checkpoint} (the official DINO checkpoint's name), sha256 {digest}"
    return f"the checkpoint {checkpoint}, sha256 {digest}"


def shaped_for(meta):
    """The device a file is shaped for, as the engine reads it (model_file.cpp): its "target",
    else "gpu" for an older file with fused attention, else "cpu"."""
    if meta.get("target"):
        return meta["target"]
    return "gpu" if "sdpa_blocks" in (meta.get("optimizations") or []) else "cpu"


def describe_model(path):
    """Lines on a model file: architecture, weights, the torch that wrote it, the LibTorch it needs."""
    meta = read_metadata(path)
    arch = meta.get("architecture", "unknown")
    lines = [f"architecture: {arch} ({meta.get('depth')} blocks, {meta.get('num_heads')} heads, "
             f"width {meta.get('embed_dim')}, {meta.get('patch_size')} px patches)",
             f"weights: {weights_origin(meta)}",
             f"written by torch {meta.get('torch_version', 'unknown')}; needs LibTorch >= "
             f"{meta.get('min_torch') or '1.13 (not recorded: an older export)'}",
             f"shaped for: {shaped_for(meta).upper()}; optimizations: "
             f"{', '.join(meta.get('optimizations') or []) or 'none'}",
             f"size: {os.path.getsize(path) / 1e6:.1f} MB"]
    return lines
