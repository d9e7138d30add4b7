"""End-to-end tests of odd and hostile inputs: nothing hangs the tool, nothing asked for
is silently ignored, nothing half-written is left behind.

  SMARTCROP_BIN=build/smartcrop /usr/bin/python3 -m pytest tests/e2e/test_hostile.py
"""
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import images  # noqa: E402

BIN = os.environ.get("SMARTCROP_BIN", "smartcrop")
FAST = ["--backend", "saliency", "--input-size", "96"]
USAGE_ERROR = 105  # CLI11's ValidationError, as for every other usage error


def run(*args, fast=True, env=None, timeout=60):
    cmd = [BIN, *(FAST if fast else []), *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)


def leftovers(folder):
    return [p for p in Path(folder).rglob("*") if ".tmp-" in p.name]


def error_lines(stderr):
    return [line for line in stderr.splitlines() if line.startswith("error: ")]


@pytest.mark.parametrize("kind", ["fifo", "socket", "device"])
def test_an_input_that_is_not_a_regular_file_is_refused_at_once(tmp_path, kind):
    good = images.photo(tmp_path / "good.jpg", 320, 240)
    if kind == "fifo":
        odd = tmp_path / "f.jpg"
        os.mkfifo(odd)  # no writer ever comes: any open() or read() of it blocks for ever
    elif kind == "socket":
        odd = tmp_path / "s.jpg"
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(odd))
    else:
        odd = Path("/dev/zero")  # a read never ends
    start = time.monotonic()
    assert run(good, "--ratio", "1:1", "-o", f"{tmp_path / 'alone'}/").returncode == 0
    baseline = time.monotonic() - start  # process start and one photo, on this machine now
    start = time.monotonic()
    r = run(odd, good, "--ratio", "1:1", "-o", tmp_path / "out", timeout=30)
    elapsed = time.monotonic() - start
    assert r.returncode == 1, r.stderr
    assert f"error: {odd}: not a regular file" in error_lines(r.stderr), r.stderr
    assert (tmp_path / "out" / "good_1x1.jpg").is_file()
    assert elapsed < baseline + 2.0, f"{elapsed:.1f} s, {baseline:.1f} s without it"


def test_sigterm_while_reading_a_fifo_list_exits_143_at_once_and_leaves_nothing(tmp_path):
    photo = images.photo(tmp_path / "p.jpg", 320, 240)
    listing = tmp_path / "list.fifo"
    os.mkfifo(listing)
    out = tmp_path / "out"
    proc = subprocess.Popen([BIN, *FAST, "--from", listing, "-o", out], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    writer = os.open(listing, os.O_WRONLY)  # the list's writer stays: smartcrop blocks in read()
    try:
        os.write(writer, f"{photo}\n".encode())
        time.sleep(1.0)
        assert proc.poll() is None, proc.communicate()
        start = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=5)
        elapsed = time.monotonic() - start
    finally:
        os.close(writer)
    assert proc.returncode == 143, err
    assert elapsed < 5.0
    assert leftovers(tmp_path) == []


def test_a_second_signal_exits_at_once(tmp_path):
    listing = tmp_path / "list.fifo"
    os.mkfifo(listing)
    proc = subprocess.Popen([BIN, *FAST, "--from", listing, "-o", tmp_path / "out"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    writer = os.open(listing, os.O_WRONLY)
    try:
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        time.sleep(0.2)
        start = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=5)
        elapsed = time.monotonic() - start
    finally:
        os.close(writer)
    assert proc.returncode == 130, err
    assert elapsed < 1.5, f"{elapsed:.1f} s after the second signal"


@pytest.mark.skipif(os.environ.get("SMARTCROP_WITH_DINO") == "0", reason="this build has no DINO support")
def test_a_model_named_by_the_user_must_load(tmp_path):
    photo = images.photo(tmp_path / "p.jpg", 320, 240)
    missing = tmp_path / "typo.pt"
    r = run(photo, "-o", tmp_path / "a.jpg", "--model", missing, fast=False)
    assert r.returncode == 2, r.stderr
    assert f"error: {missing}: model file not found" in r.stderr and "--model" in r.stderr, r.stderr
    assert "export_model.py" in r.stderr
    env = dict(os.environ, SMARTCROP_MODEL=str(missing))
    r = run(photo, "-o", tmp_path / "b.jpg", fast=False, env=env)
    assert r.returncode == 2, r.stderr
    assert f"error: {missing}: model file not found" in r.stderr and "$SMARTCROP_MODEL" in r.stderr, r.stderr
    not_a_model = tmp_path / "notes.pt"
    not_a_model.write_text("not a TorchScript archive\n")
    r = run(photo, "-o", tmp_path / "c.jpg", "--model", not_a_model, fast=False)
    assert r.returncode == 2, r.stderr
    assert f"error: {not_a_model}: cannot load model" in r.stderr, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.pt", "p.jpg"]


@pytest.mark.parametrize("contents", ["empty", "no images"])
def test_no_photos_at_all_is_an_error_and_creates_nothing(tmp_path, contents):
    src = tmp_path / "photos"
    src.mkdir()
    if contents == "no images":
        (src / "notes.txt").write_text("hello")
        (src / ".hidden.jpg").write_bytes(b"x")
    out = tmp_path / "out"
    r = run(src, "-o", out / "d.jpg")
    assert r.returncode == 1, r.stderr
    assert error_lines(r.stderr)[0].startswith(f"error: no photos found in {src}"), r.stderr
    assert not out.exists()


@pytest.mark.parametrize("ratios,photos", [("16:9", 2), ("16:9,1:1", 1)])
def test_one_image_file_output_for_several_crops_is_a_usage_error(tmp_path, ratios, photos):
    inputs = [images.photo(tmp_path / f"p{i}.jpg", 320, 240, seed=i) for i in range(photos)]
    out = tmp_path / "one.jpg"
    r = run(*inputs, "--ratio", ratios, "-o", out)
    assert r.returncode == USAGE_ERROR, r.stderr
    lines = error_lines(r.stderr)
    assert lines and lines[0].startswith(f"error: {out}: names one image file"), r.stderr
    assert "-o one/" in lines[0] and "--name" in lines[0]
    assert not out.exists()


def test_a_write_failure_names_the_photo_and_the_output(tmp_path):
    long_stem = "p" * 120
    photo = images.photo(tmp_path / "in" / f"{long_stem}.jpg", 320, 240)
    other = images.photo(tmp_path / "in" / "q.jpg", 320, 240, seed=1)
    name = "{stem}_" + "x" * 140 + ".jpg"  # too long a file name for the long stem only
    r = run(photo, other, "-o", tmp_path / "out", "--name", name)
    assert r.returncode == 1, r.stderr
    lines = error_lines(r.stderr)
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(f"error: {photo}: output {tmp_path / 'out' / long_stem}_xxx"), lines[0]
    assert lines[0].endswith("cannot write: File name too long"), lines[0]
    assert (tmp_path / "out" / ("q_" + "x" * 140 + ".jpg")).is_file()
    assert leftovers(tmp_path) == []


def test_a_list_that_is_not_a_list_of_paths_fails_fast(tmp_path):
    r = run("--from", "/dev/zero", "-o", tmp_path / "out", timeout=30)  # one endless line
    assert r.returncode == 2, r.stderr
    assert "error: /dev/zero: line 1 is longer than 4096 bytes: not a list of paths" in r.stderr, r.stderr
    assert not (tmp_path / "out").exists()
