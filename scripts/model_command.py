"""smartcrop-model: gets, exports and describes the DINO model that smartcrop loads.

The command of the smartcrop-dino package (scripts/smartcrop-model starts it). The
export itself is scripts/export_model.py's, imported, not copied; the download is
model_download.py's and the places model_lookup.py's (the engine's order).
"""
import argparse
import os
import re
import signal
import sys
import tempfile
import time

import model_lookup
from model_download import DownloadError, download

DESCRIPTION = """\
Gets the DINO model that `smartcrop --backend dino` (and `auto`) loads, exports it
from a checkpoint on a machine without internet, and says which model smartcrop
would load and where it came from.

commands:
  fetch [--arch vit_small|vit_base] [--url URL] [--system] [--timeout S]
        Downloads the official DINO checkpoint (or the one at URL, a mirror),
        loads it strictly into the architecture, exports it, loads the export
        back and runs it once, then moves it into place in one step. Prints the
        model's path, the checkpoint's URL and SHA-256 (also kept in the model).
  export --checkpoint FILE [--arch vit_small|vit_base] [--system]
        The same from a checkpoint file copied from elsewhere.
  info [FILE]
        The model smartcrop would load and from where (the lookup, in order), its
        architecture, where its weights came from, the oldest LibTorch it needs.
        Needs no PyTorch. Exit status 1 when there is no model.

where models go:
  per user (default): $XDG_DATA_HOME/smartcrop/models/, else
  ~/.local/share/smartcrop/models/; for every user with --system (as root):
  /var/lib/smartcrop/models/. vit_small is written as dino_vits16.pt, the file
  smartcrop looks for; vit_base as dino_vitb16.pt (give it with --model).

smartcrop looks for a model at --model, then $SMARTCROP_MODEL, then the
per-user folder, then the system folder (a build tree last looks in its source
tree's models/).

examples:
  smartcrop-model fetch
  sudo smartcrop-model fetch --system
  smartcrop-model export --checkpoint dino_deitsmall16_pretrain.pth
  smartcrop-model info
"""
MIB = 1e6


class CommandError(Exception):
    """A failure to report as one 'error: ...' line."""


def version():
    """The package's version (the file VERSION, installed beside this one), or the source
    tree's (its CMakeLists.txt)."""
    try:
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "VERSION"), encoding="utf-8") as f:
            return f.read().strip()
    except OSError:
        tree = model_lookup.source_tree()
        if tree:
            with open(os.path.join(tree, "CMakeLists.txt"), encoding="utf-8") as f:
                found = re.search(r"project\(smartcrop VERSION ([\d.]+)", f.read())
            if found:
                return found[1]
    return "unknown"


def model_folder(system, command):
    """The folder `command` writes to, made if missing; CommandError when it cannot be."""
    folder = model_lookup.SYSTEM_MODEL_DIR if system else model_lookup.user_model_dir()
    if not folder:
        raise CommandError("no home folder to put a per-user model in: set XDG_DATA_HOME, or use --system")
    try:
        if system:
            # Readable by every user whatever root's umask: these are for everyone.
            for path in (os.path.dirname(folder), folder):
                os.makedirs(path, mode=0o755, exist_ok=True)
        else:
            os.makedirs(folder, exist_ok=True)
        probe = tempfile.TemporaryFile(dir=folder)
        probe.close()
    except PermissionError as e:
        how = f"; --system writes for every user and needs root: sudo smartcrop-model {command} --system" \
            if system else ""
        raise CommandError(f"{e.filename or folder}: permission denied{how}") from e
    except OSError as e:
        raise CommandError(f"{e.filename or folder}: {e.strerror or e}") from e
    return folder


def load_exporter():
    """scripts/export_model.py, imported here: it needs torch, which `info` does not."""
    try:
        import export_model
    except ModuleNotFoundError as e:
        if e.name != "torch":
            raise
        raise CommandError("exporting a model needs PyTorch for Python: apt-get install python3-torch "
                           "(smartcrop-dino recommends it)") from e
    return export_model


def export_beside(folder, arch, target, checkpoint, label):
    """Exports `checkpoint` for `target` (cpu or gpu) into a temporary file in `folder`, loaded
    back and run once (export_model.py --verify); returns its path. Errors name `label` (the
    URL or file)."""
    export_model = load_exporter()
    fd, output = tempfile.mkstemp(dir=folder, prefix=".model-", suffix=".pt.tmp")
    os.close(fd)
    try:
        args = export_model.parse_args(["--arch", arch, "--target", target, "--checkpoint", checkpoint,
                                        "-o", output, "--verify"])
        if label is not None:  # a download: its URL is recorded and named in errors, not the temporary file
            args.checkpoint_label = label
        export_model.export(args)
    except export_model.ExportError as e:
        os.unlink(output)
        raise CommandError(str(e)) from e
    except Exception as e:  # torch's and the OS's errors (a disk that fills during the export)
        os.unlink(output)
        first = next((line for line in str(e).splitlines() if line.strip()), type(e).__name__)
        raise CommandError(f"{label}: export failed: {' '.join(first.split())}") from e
    except BaseException:
        os.unlink(output)
        raise
    return output


def place(temporary, target, system):
    """Moves a finished export to `target` in one step: synced first, so that a crash
    leaves the old model or the new one, never a part of either."""
    mode = 0o644 if system else 0o666 & ~current_umask()
    os.chmod(temporary, mode)
    fd = os.open(temporary, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, target)
    folder = os.open(os.path.dirname(target), os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def say(text):
    print(f"smartcrop-model: {text}", file=sys.stderr, flush=True)


def check_target(target):
    """Exporting needs torch, and a GPU-shaped file torch >= 2.0: said before any download."""
    exporter = load_exporter()
    if target == "gpu" and not exporter.has_sdpa():
        import torch
        raise CommandError(f"--target gpu needs PyTorch >= 2.0 for Python (this is {torch.__version__}): "
                           "export on the GPU machine, or use --target cpu")


def install(folder, arch, device_target, checkpoint, url, sha256, started):
    """Exports and places the model (from `url` if downloaded); prints the receipt on stdout."""
    target = os.path.join(folder, model_lookup.MODEL_FILES[arch])
    say(f"exporting {arch} for the {device_target.upper()} and checking it (loaded back, one forward)")
    temporary = export_beside(folder, arch, device_target, checkpoint, url)
    try:
        replaced = os.path.exists(target)
        place(temporary, target, folder == model_lookup.SYSTEM_MODEL_DIR)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    say(f"{'replaced' if replaced else 'wrote'} {target} ({os.path.getsize(target) / MIB:.1f} MB) "
        f"in {time.monotonic() - started:.1f} s")
    print(f"model: {target}\ncheckpoint: {url or checkpoint}\nsha256: {sha256}", flush=True)
    if model_lookup.MODEL_FILES[arch] != model_lookup.MODEL_FILE:
        say(f"smartcrop loads {model_lookup.MODEL_FILE} by default: use this one with --model {target}")
    else:
        _, chosen = model_lookup.resolve()
        if chosen and chosen[1] != target:
            say(f"note: smartcrop loads {chosen[1]} ({chosen[0]}) before this one")


def fetch(args):
    started = time.monotonic()
    url = args.url or model_lookup.OFFICIAL_CHECKPOINTS.get(args.arch)
    if not url:
        raise CommandError(f"no official checkpoint for --arch {args.arch}: give one with --url")
    folder = model_folder(args.system, "fetch")
    check_target(args.target)  # no download without the means to export it
    say(f"downloading {url}")
    try:
        checkpoint, size, sha256 = download(url, folder, timeout=args.timeout)
    except DownloadError as e:
        raise CommandError(str(e)) from e
    try:
        say(f"downloaded {size / MIB:.1f} MB, sha256 {sha256}")
        install(folder, args.arch, args.target, checkpoint, url, sha256, started)
    finally:
        os.unlink(checkpoint)


def export(args):
    started = time.monotonic()
    if not os.path.isfile(args.checkpoint):
        raise CommandError(f"{args.checkpoint}: checkpoint file not found")
    folder = model_folder(args.system, "export")
    check_target(args.target)
    sha256 = load_exporter().sha256_of(args.checkpoint)
    install(folder, args.arch, args.target, args.checkpoint, None, sha256, started)


def info(args):
    if args.file:
        print(f"{args.file}:")
        describe(args.file)
        return 0
    lines, chosen = model_lookup.resolve()
    print("DINO model lookup, in order (the first file found is used; a named one must load):")
    for line in lines:
        print(f"  {line}")
    if chosen is None:
        advice = "make one with: /usr/bin/python3 scripts/export_model.py" if model_lookup.source_tree() \
            else "get one with: smartcrop-model fetch"
        print(f"smartcrop finds no DINO model ({advice}): --backend auto uses the built-in saliency")
        return 1
    name, path = chosen
    print(f"smartcrop loads {path} ({name}):")
    if not os.path.exists(path):
        raise CommandError(f"{path}: no such file (given by {name})")
    describe(path)
    return 0


def describe(path):
    try:
        for line in model_lookup.describe_model(path):
            print(f"  {line}")
    except model_lookup.ModelFileError as e:
        raise CommandError(f"{path}: {e}") from e
    except OSError as e:
        raise CommandError(f"{path}: {e.strerror or e}") from e


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="smartcrop-model", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"smartcrop-model {version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    archs = sorted(model_lookup.MODEL_FILES)

    def add_common(sub):
        sub.add_argument("--arch", choices=archs, default="vit_small",
                         help="architecture (default: %(default)s; tiny: tests only, with --url or a checkpoint)")
        sub.add_argument("--target", choices=("cpu", "gpu"), default="cpu",
                         help="the device the model is shaped for (default: %(default)s); gpu fuses the "
                              "attention, runs several times faster there and needs PyTorch >= 2.0")
        sub.add_argument("--system", action="store_true",
                         help=f"write to {model_lookup.SYSTEM_MODEL_DIR}/ for every user (needs root)")

    fetch_parser = commands.add_parser("fetch", help="download the checkpoint and install the model")
    add_common(fetch_parser)
    fetch_parser.add_argument("--url", help="the checkpoint's URL (default: the official one for --arch)")
    fetch_parser.add_argument("--timeout", type=float, default=30, metavar="S",
                              help="seconds to wait for the server to connect or send (default: %(default)g)")
    export_parser = commands.add_parser("export", help="install the model from a checkpoint file")
    add_common(export_parser)
    export_parser.add_argument("--checkpoint", required=True, metavar="FILE", help="the checkpoint (.pth)")
    info_parser = commands.add_parser("info", help="which model smartcrop loads, and what it is")
    info_parser.add_argument("file", nargs="?", metavar="FILE", help="describe this model file instead")
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        parser.exit(2)
    return args


def stop_on_sigterm():
    """SIGTERM unwinds like Ctrl-C, so that temporary files are removed on the way out."""
    def handler(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, handler)


def main(argv=None):
    args = parse_args(argv)
    stop_on_sigterm()
    try:
        return {"fetch": fetch, "export": export, "info": info}[args.command](args) or 0
    except CommandError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted; nothing was changed", file=sys.stderr)
        return 130
