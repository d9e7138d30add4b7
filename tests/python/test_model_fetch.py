"""smartcrop-model fetch against a real HTTP server (Python's http.server on 127.0.0.1,
started and stopped here) serving checkpoints made here with random weights: a good
download, and every way one can fail. A failure prints one line naming the URL and the
reason, exits non-zero, leaves no file at the model path (nor a temporary one beside it)
and leaves a model that was there before byte for byte as it was."""
import hashlib
import http.server
import os
import pty
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest
import torch

from conftest import PYTHON, SCRIPTS, read_metadata
from dino_vit import build_vit

COMMAND = SCRIPTS / "smartcrop-model"
BIN = os.environ.get("SMARTCROP_BIN")


def random_checkpoint(path, arch, seed=0):
    """A state dict with DINO's parameter names and random weights, as torch.save writes it."""
    torch.manual_seed(seed)
    torch.save(build_vit(arch, dino_init=False).state_dict(), path)
    return path


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    folder = tmp_path_factory.mktemp("served")
    return {"vit_small": random_checkpoint(folder / "small.pth", "vit_small"),
            "tiny": random_checkpoint(folder / "tiny.pth", "tiny")}


class Handler(http.server.BaseHTTPRequestHandler):
    """/good.pth, /tiny.pth: checkpoints; /half.pth: half the body, then the connection
    closes; /page.pth: an HTML page; /stall.pth: accepts and never answers; else 404."""
    files = {}
    release = threading.Event()

    def do_GET(self):
        name = self.path.lstrip("/")
        if name == "stall.pth":
            self.release.wait(60)
            return
        if name == "page.pth":
            return self.reply(b"<!DOCTYPE html><html><body>Please sign in</body></html>", "text/html; charset=utf-8")
        if name == "half.pth":
            body = self.files["good.pth"].read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[:len(body) // 2])
            self.close_connection = True
            return
        if name not in self.files:
            return self.send_error(404, "File not found")
        self.reply(self.files[name].read_bytes(), "application/octet-stream")

    def reply(self, body, kind):
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that gives up mid-body (a full disk) is what some tests do


@pytest.fixture(scope="module")
def server(checkpoints):
    """The base URL of a server on 127.0.0.1, stopped however the tests end."""
    Handler.files = {"good.pth": checkpoints["vit_small"], "tiny.pth": checkpoints["tiny"]}
    Handler.release.clear()
    httpd = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        Handler.release.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)


def free_port():
    """A port nothing listens on: bound, then let go."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(data_home, *args, timeout=300):
    env = dict(os.environ, XDG_DATA_HOME=str(data_home), PYTHONDONTWRITEBYTECODE="1")
    env.pop("SMARTCROP_MODEL", None)
    return subprocess.run([PYTHON, str(COMMAND), "fetch", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=timeout)


def model_dir(data_home):
    return Path(data_home) / "smartcrop" / "models"


def test_a_good_download_is_exported_checked_and_put_in_place_with_its_receipt(server, checkpoints, tmp_path):
    url = f"{server}/good.pth"
    done = fetch(tmp_path, "--url", url)
    assert done.returncode == 0, done.stderr
    model = model_dir(tmp_path) / "dino_vits16.pt"
    digest = hashlib.sha256(checkpoints["vit_small"].read_bytes()).hexdigest()
    assert done.stdout == f"model: {model}\ncheckpoint: {url}\nsha256: {digest}\n"
    meta = read_metadata(model)
    assert meta["checkpoint"] == url and meta["sha256"] == digest and meta["architecture"] == "vit_small"
    assert sorted(p.name for p in model_dir(tmp_path).iterdir()) == ["dino_vits16.pt"]  # no temporary left
    assert "exporting vit_small for the CPU and checking it (loaded back, one forward)" in done.stderr
    # No terminal, no progress bar: the log holds no carriage returns.
    assert "\r" not in done.stderr


@pytest.mark.skipif(not BIN, reason="needs the smartcrop binary (CTest gives it)")
def test_smartcrop_uses_the_fetched_model_with_no_flag(server, tmp_path):
    assert fetch(tmp_path, "--url", f"{server}/good.pth").returncode == 0
    photo = tmp_path / "photo.png"
    import cv2
    import numpy as np
    cv2.imwrite(str(photo), np.full((160, 240, 3), 120, np.uint8))
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path))
    env.pop("SMARTCROP_MODEL", None)
    done = subprocess.run([BIN, str(photo), "--ratio", "1:1", "--json", "-v"], capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert '"backend":"dino"' in done.stdout
    assert f"3. per-user folder: {model_dir(tmp_path) / 'dino_vits16.pt'}: found <- used" in done.stderr


def test_fetching_again_replaces_the_model(server, tmp_path):
    assert fetch(tmp_path, "--url", f"{server}/good.pth").returncode == 0
    model = model_dir(tmp_path) / "dino_vits16.pt"
    model.write_bytes(b"an older model")
    done = fetch(tmp_path, "--url", f"{server}/good.pth")
    assert done.returncode == 0, done.stderr
    assert "replaced " in done.stderr and read_metadata(model)["architecture"] == "vit_small"


# (case, URL path or None for a port where nothing listens, extra arguments, reason in the line)
FAILURES = [
    ("404", "missing.pth", [], "HTTP 404 File not found"),
    ("half body", "half.pth", [], "the body ended after "),
    ("HTML page", "page.pth", [], "the server sent a web page (text/html), not a checkpoint"),
    ("another architecture", "tiny.pth", [], "checkpoint does not match --arch vit_small: missing ['blocks.10."),
    ("stalling server", "stall.pth", ["--timeout", "1"], "no answer for 1 s (timed out) (tried 2 times)"),
    ("nothing listening", None, [], "connection refused (nothing listening there?) (tried 2 times)"),
]


def assert_failed_cleanly(done, url, reason, folder, before):
    """One error line naming the URL and the reason, a non-zero exit, the folder as it was."""
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, done.stderr
    assert errors[0].startswith(f"error: {url}: ") and reason in errors[0], errors[0]
    if reason.startswith("the body ended"):
        assert errors[0].endswith(" MB announced (tried 2 times)"), errors[0]
    assert done.returncode == 1 and done.stdout == ""
    model = folder / "dino_vits16.pt"
    if before is None:
        assert not model.exists()
        assert not folder.exists() or list(folder.iterdir()) == []
    else:
        assert model.read_bytes() == before
        assert [p.name for p in folder.iterdir()] == ["dino_vits16.pt"]  # no temporary left
    print(f"\n  {errors[0]}")  # shown with pytest -s: what the user reads


@pytest.mark.parametrize("earlier_model", [False, True], ids=["no model before", "a model before"])
@pytest.mark.parametrize("case,path,extra,reason", FAILURES, ids=[case for case, *_ in FAILURES])
def test_a_failed_download_says_why_and_changes_nothing(server, tmp_path, case, path, extra, reason,
                                                       earlier_model):
    url = f"{server}/{path}" if path else f"http://127.0.0.1:{free_port()}/dino.pth"
    folder = model_dir(tmp_path)
    before = None
    if earlier_model:
        folder.mkdir(parents=True)
        before = uuid.uuid4().bytes * 1000
        (folder / "dino_vits16.pt").write_bytes(before)
    start = time.monotonic()
    done = fetch(tmp_path, "--url", url, *extra)
    assert_failed_cleanly(done, url, reason, folder, before)
    if case == "stalling server":
        assert time.monotonic() - start < 60  # 2 tries of 1 s and a 2 s pause, plus Python's start


@pytest.fixture
def full_disk(tmp_path):
    """A data home on a 1 MB tmpfs, unmounted however the test ends."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip() or 'not root'})")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


@pytest.mark.parametrize("earlier_model", [False, True], ids=["no model before", "a model before"])
def test_a_full_disk_at_the_destination_says_so_and_changes_nothing(server, full_disk, earlier_model):
    folder = model_dir(full_disk)
    before = None
    if earlier_model:
        folder.mkdir(parents=True)
        before = uuid.uuid4().bytes * 16000  # 256 kB of the 1 MB
        (folder / "dino_vits16.pt").write_bytes(before)
    url = f"{server}/good.pth"
    done = fetch(full_disk, "--url", url)
    assert_failed_cleanly(done, url, f"cannot write {folder}: no space left on device", folder, before)


def test_system_wide_needs_root_and_says_so(server, tmp_path):
    """--system as a user who may not write /var/lib: refused before any download."""
    as_user, command = [], COMMAND
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("needs setpriv (util-linux) to run as another user")
        as_user = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        # nobody may not read the clone (CI's is under /root, mode 700): a readable copy.
        readable = Path(tempfile.mkdtemp(prefix="smartcrop-model."))
        readable.chmod(0o755)
        for name in ("smartcrop-model", "model_command.py", "model_download.py", "model_lookup.py"):
            shutil.copy(SCRIPTS / name, readable / name)
        command = readable / "smartcrop-model"
    elif os.access("/var/lib", os.W_OK):
        pytest.skip("this user may write /var/lib")
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path), PYTHONDONTWRITEBYTECODE="1")
    try:
        done = subprocess.run([*as_user, PYTHON, str(command), "fetch", "--system", "--url", f"{server}/good.pth"],
                              capture_output=True, text=True, env=env, timeout=120, cwd="/")
    finally:
        if command != COMMAND:
            shutil.rmtree(command.parent)
    assert done.returncode == 1
    assert done.stderr.startswith("error: /var/lib/smartcrop")
    assert done.stderr.rstrip().endswith("permission denied; --system writes for every user and needs root: "
                                         "sudo smartcrop-model fetch --system"), done.stderr
    assert "downloading" not in done.stderr


def test_export_installs_a_copied_checkpoint_and_info_describes_it(checkpoints, tmp_path):
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path), PYTHONDONTWRITEBYTECODE="1")
    env.pop("SMARTCROP_MODEL", None)
    copied = tmp_path / "dino_deitsmall16_pretrain.pth"
    shutil.copyfile(checkpoints["vit_small"], copied)
    done = subprocess.run([PYTHON, str(COMMAND), "export", "--checkpoint", str(copied)], capture_output=True,
                          text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    model = model_dir(tmp_path) / "dino_vits16.pt"
    digest = hashlib.sha256(copied.read_bytes()).hexdigest()
    assert done.stdout == f"model: {model}\ncheckpoint: {copied}\nsha256: {digest}\n"
    info = subprocess.run([PYTHON, str(COMMAND), "info", str(model)], capture_output=True, text=True, env=env,
                          timeout=60)
    assert info.returncode == 0, info.stderr
    assert f"  weights: the file dino_deitsmall16_pretrain.pth (the official DINO checkpoint's name), " \
           f"sha256 {digest}" in info.stdout
    assert "  architecture: vit_small (12 blocks, 6 heads, width 384, 16 px patches)" in info.stdout
    assert "  shaped for: CPU; optimizations: " in info.stdout, info.stdout
    assert re.search(r"^  written by torch [\d.]+\S*; needs LibTorch >= 1\.13$", info.stdout, re.M), info.stdout


@pytest.fixture
def no_torch(tmp_path):
    """A PYTHONPATH on which `import torch` fails, as on a machine without python3-torch."""
    fake = tmp_path / "no-torch"
    (fake / "torch").mkdir(parents=True)
    (fake / "torch" / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'torch'\", name='torch')\n")
    return fake


def test_info_needs_no_torch_and_fetch_says_what_to_install(no_torch, server, tmp_path):
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path), PYTHONPATH=str(no_torch), PYTHONDONTWRITEBYTECODE="1")
    env.pop("SMARTCROP_MODEL", None)
    info = subprocess.run([PYTHON, str(COMMAND), "info"], capture_output=True, text=True, env=env, timeout=60)
    assert info.returncode == 1 and "smartcrop finds no DINO model" in info.stdout and not info.stderr
    done = subprocess.run([PYTHON, str(COMMAND), "fetch", "--url", f"{server}/good.pth"], capture_output=True,
                          text=True, env=env, timeout=60)
    assert done.returncode == 1
    assert done.stderr == ("error: exporting a model needs PyTorch for Python: apt-get install python3-torch "
                           "(smartcrop-dino recommends it)\n")
    assert not model_dir(tmp_path).exists() or list(model_dir(tmp_path).iterdir()) == []


def test_a_terminal_gets_a_progress_bar(server, tmp_path):
    main, terminal = pty.openpty()
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path), PYTHONDONTWRITEBYTECODE="1")
    try:
        done = subprocess.run([PYTHON, str(COMMAND), "fetch", "--url", f"{server}/good.pth"], stdout=subprocess.PIPE,
                              stderr=terminal, env=env, timeout=300)
        os.close(terminal)
        shown = b""
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: the terminal's other end is closed and drained
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(main)
    assert done.returncode == 0
    assert re.search(rb"\r  100% (86\.\d) of \1 MB, [\d.]+ MB/s", shown), shown[-500:]
    assert b"downloaded 86." in shown


def test_sigterm_during_a_download_leaves_nothing(server, tmp_path):
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path), PYTHONDONTWRITEBYTECODE="1")
    process = subprocess.Popen([PYTHON, str(COMMAND), "fetch", "--url", f"{server}/stall.pth", "--timeout", "60"],
                               stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 60
    while not list(model_dir(tmp_path).glob(".checkpoint-*")) and time.monotonic() < deadline:
        time.sleep(0.05)  # the download has begun once its temporary file exists
    process.terminate()
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert stderr.rstrip().endswith("error: interrupted; nothing was changed")
    assert list(model_dir(tmp_path).iterdir()) == []


def test_target_gpu_is_exported_where_torch_has_fused_attention_and_refused_before_the_download_elsewhere(
        server, tmp_path):
    from export_model import has_sdpa
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path), PYTHONDONTWRITEBYTECODE="1")
    env.pop("SMARTCROP_MODEL", None)
    done = subprocess.run([PYTHON, str(COMMAND), "fetch", "--target", "gpu", "--url", f"{server}/good.pth"],
                          capture_output=True, text=True, env=env, timeout=300)
    model = model_dir(tmp_path) / "dino_vits16.pt"
    if not has_sdpa():  # Debian 12's torch 1.13
        assert done.returncode == 1
        assert re.fullmatch(r"error: --target gpu needs PyTorch >= 2\.0 for Python \(this is \S+\): export on the "
                            r"GPU machine, or use --target cpu\n", done.stderr), done.stderr
        assert "downloading" not in done.stderr and not model.exists()
        return
    assert done.returncode == 0, done.stderr
    assert read_metadata(model)["target"] == "gpu"
    info = subprocess.run([PYTHON, str(COMMAND), "info", str(model)], capture_output=True, text=True, env=env,
                          timeout=60)
    assert "  shaped for: GPU; optimizations: " in info.stdout and "sdpa_blocks" in info.stdout, info.stdout
