"""Several runs writing the same outputs at once (issue 24): a job resubmitted while it
still runs, a Kubernetes pod replaced while the old one terminates, shards that meet.

Each race is made to happen every time, not by luck: a run is stopped at a point of its
write (SMARTCROP_TEST_HOLD=POINT:FIFO, src/io/test_seams.hpp) until the test has done
its part, then let go. "anonymous" runs write as on a local disk (O_TMPFILE), "named"
through per-writer temp files as on NFS (SMARTCROP_TEST_NAMED_TEMPS=1).

  SMARTCROP_BIN=build/smartcrop /usr/bin/python3 -m pytest tests/e2e/test_concurrent_writers.py
"""
import errno
import json
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
WAYS = ["anonymous", "named"]


def env_for(way, hold=None):
    env = dict(os.environ, SMARTCROP_TEST_NAMED_TEMPS="1" if way == "named" else "0")
    env.pop("SMARTCROP_TEST_HOLD", None)
    if hold:
        env["SMARTCROP_TEST_HOLD"] = hold
    return env


def start(*args, env):
    return subprocess.Popen([BIN, *FAST, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)


def run(*args, env):
    return subprocess.run([BIN, *FAST, *map(str, args)], capture_output=True, text=True, timeout=120, env=env)


def finish(proc):
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


class Seam:
    """A run stopped at a point of its write: wait() returns once it is there (it has
    opened the FIFO), release() lets it go on. Also a context manager doing both."""

    def __init__(self, proc, fifo):
        self.proc, self.fifo, self.fd = proc, fifo, None

    def wait(self, timeout=60):
        deadline = time.monotonic() + timeout
        while self.fd is None:
            try:
                self.fd = os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError as e:
                if e.errno != errno.ENXIO:
                    raise
            if self.proc.poll() is not None:
                pytest.fail(f"the run ended (exit {self.proc.returncode}) before its seam: {self.proc.stderr.read()}")
            if time.monotonic() > deadline:
                self.proc.kill()
                pytest.fail(f"the run did not reach its seam in {timeout} s")
            time.sleep(0.01)
        return self

    def release(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __enter__(self):
        return self.wait()

    def __exit__(self, *exc):
        self.release()


def fifo(tmp_path, name):
    path = tmp_path / name
    os.mkfifo(path)
    return path


def temp_files(folder):
    return sorted(p.name for p in Path(folder).rglob("*") if ".tmp-" in p.name)


def statuses(stdout):
    """The crop statuses of the run's --json records, in order."""
    return [c["status"] for line in stdout.splitlines() if line.strip() for c in json.loads(line)["crops"]]


def summary(stderr):
    return next((line for line in stderr.splitlines() if line.startswith("summary: ")), "(no summary)")


@pytest.fixture
def job(tmp_path):
    """One photo, its output folder, and the bytes a run alone writes for its 16:9 crop."""
    photo = images.photo(tmp_path / "in" / "p.jpg", 640, 480, seed=7)
    alone = tmp_path / "alone"
    r = run(photo, "-o", f"{alone}/", env=env_for("anonymous"))
    assert r.returncode == 0, r.stderr
    return photo, tmp_path / "out", (alone / "p_16x9.jpg").read_bytes()


@pytest.mark.parametrize("way", WAYS)
def test_an_output_another_run_links_first_is_a_skip_under_skip_existing(tmp_path, job, way):
    photo, out, whole = job
    late = start(photo, "-o", f"{out}/", "--skip-existing", "--json",
                 env=env_for(way, f"before-link:{fifo(tmp_path, 'hold')}"))
    with Seam(late, tmp_path / "hold"):
        # The late run's crop is complete in its temp file, not yet under its name.
        assert not (out / "p_16x9.jpg").exists()
        first = run(photo, "-o", f"{out}/", "--skip-existing", "--json", env=env_for(way))
        assert first.returncode == 0, first.stderr
        assert statuses(first.stdout) == ["written"]
        inode = (out / "p_16x9.jpg").stat().st_ino
    code, stdout, stderr = finish(late)
    assert code == 0, stderr
    assert "error" not in stderr, stderr
    record = json.loads(stdout)
    assert record["status"] == "ok" and [c["status"] for c in record["crops"]] == ["skipped"], record
    assert (out / "p_16x9.jpg").read_bytes() == whole
    assert (out / "p_16x9.jpg").stat().st_ino == inode, "the first run's file was replaced"
    assert temp_files(tmp_path) == []


@pytest.mark.parametrize("way", WAYS)
def test_without_skip_existing_the_late_run_fails_and_the_first_file_stays(tmp_path, job, way):
    photo, out, whole = job
    late = start(photo, "-o", f"{out}/", env=env_for(way, f"before-link:{fifo(tmp_path, 'hold')}"))
    with Seam(late, tmp_path / "hold"):
        first = run(photo, "-o", f"{out}/", env=env_for(way))
        assert first.returncode == 0, first.stderr
    code, _, stderr = finish(late)
    assert code == 1, stderr
    output = out / "p_16x9.jpg"
    assert f"error: {photo}: output {output}: output exists (use --overwrite or --skip-existing)" in stderr, stderr
    assert "0 written, 0 skipped, 1 failed" in summary(stderr), stderr
    assert output.read_bytes() == whole
    assert temp_files(tmp_path) == []


def test_overwrite_runs_that_meet_leave_one_complete_file(tmp_path, job):
    photo, out, whole = job
    late = start(photo, "-o", f"{out}/", "--overwrite", "--json",
                 env=env_for("anonymous", f"before-link:{fifo(tmp_path, 'hold')}"))
    with Seam(late, tmp_path / "hold"):
        first = run(photo, "-o", f"{out}/", "--overwrite", env=env_for("anonymous"))
        assert first.returncode == 0, first.stderr
    code, stdout, stderr = finish(late)
    assert code == 0, stderr
    assert statuses(stdout) == ["written"]
    assert (out / "p_16x9.jpg").read_bytes() == whole
    assert temp_files(tmp_path) == []


@pytest.mark.parametrize("way", WAYS)
def test_a_writer_killed_half_way_never_leaves_a_truncated_crop(tmp_path, job, way):
    """One run has its crop complete but not linked; another has written half of the same
    crop when the first links, and is then killed (as a full disk or the OOM killer would
    stop it). The name only ever shows the whole crop, and a rerun leaves no temp file."""
    photo, out, whole = job
    output = out / "p_16x9.jpg"
    linker = start(photo, "-o", f"{out}/", "--skip-existing", "--json",
                   env=env_for(way, f"before-link:{fifo(tmp_path, 'a')}"))
    at_link = Seam(linker, tmp_path / "a").wait()
    half = start(photo, "-o", f"{out}/", "--skip-existing", env=env_for(way, f"mid-write:{fifo(tmp_path, 'b')}"))
    half_way = Seam(half, tmp_path / "b").wait()
    at_link.release()
    code, stdout, stderr = finish(linker)
    assert code == 0, stderr
    assert statuses(stdout) == ["written"]
    assert output.read_bytes() == whole, f"{output} is {output.stat().st_size} bytes, the whole crop {len(whole)}"
    half.kill()
    half.communicate()
    half_way.release()
    assert output.read_bytes() == whole, f"{output} is {output.stat().st_size} bytes, the whole crop {len(whole)}"
    rerun = run(photo, "-o", f"{out}/", "--skip-existing", env=env_for(way))
    assert rerun.returncode == 0, rerun.stderr
    assert output.read_bytes() == whole
    assert temp_files(tmp_path) == []


@pytest.mark.parametrize("way", WAYS)
def test_sigkill_before_the_link_then_a_rerun_leaves_no_temp_file(tmp_path, job, way):
    photo, out, whole = job
    killed = start(photo, "-o", f"{out}/", "--skip-existing", env=env_for(way, f"before-link:{fifo(tmp_path, 'hold')}"))
    with Seam(killed, tmp_path / "hold"):
        killed.send_signal(signal.SIGKILL)
        assert killed.wait(timeout=30) == -signal.SIGKILL
    left = temp_files(out)
    if way == "anonymous":
        assert left == [], "an O_TMPFILE write dies with its process"
    else:
        assert len(left) == 1 and f"~{socket.gethostname()}~{killed.pid}~" in left[0], left
    rerun = run(photo, "-o", f"{out}/", "--skip-existing", "--json", env=env_for(way))
    assert rerun.returncode == 0, rerun.stderr
    assert statuses(rerun.stdout) == ["written"]
    assert (out / "p_16x9.jpg").read_bytes() == whole
    assert temp_files(tmp_path) == []


@pytest.mark.parametrize("way", WAYS)
def test_ctrl_c_at_the_link_removes_the_temp_file(tmp_path, job, way):
    photo, out, _ = job
    stopped = start(photo, "-o", f"{out}/", env=env_for(way, f"before-link:{fifo(tmp_path, 'hold')}"))
    with Seam(stopped, tmp_path / "hold"):
        stopped.send_signal(signal.SIGINT)
        # The writer is blocked in the seam: the run ends after its 3 s without progress.
        code, _, stderr = finish(stopped)
    assert code == 130, stderr
    assert temp_files(tmp_path) == [], "the interrupted run left its temp file"
    assert not (out / "p_16x9.jpg").exists()


def test_only_temp_files_of_writers_known_gone_are_removed(tmp_path):
    src = tmp_path / "in"
    photos = [images.photo(src / f"p{i}.jpg", 320, 240, seed=i) for i in range(2)]
    out = tmp_path / "out"
    r = run(photos[0], "-o", out / "p0_16x9.jpg", env=env_for("anonymous"))
    assert r.returncode == 0, r.stderr
    host = socket.gethostname()
    dead = subprocess.Popen(["true"])
    dead.wait()  # a pid of this host that no longer runs
    two_hours_ago = time.time() - 7200

    def temp(name, owner, age=None):
        path = out / f".{name}{owner}.tmp-smartcrop"
        path.write_bytes(b"\xff\xd8 half a JPEG")
        if age:
            os.utime(path, (age, age))
        return path

    gone = [temp("p1_16x9.jpg", f"~{host}~{dead.pid}~0a1b2c3d.0"),        # killed here
            temp("x.jpg", f"~other-host~123~0a1b2c3d.4", two_hours_ago),   # elsewhere, long ago
            temp("p1_16x9.jpg", "", two_hours_ago)]                        # an earlier version's, old
    kept = [temp("p1_16x9.jpg", f"~{host}~{os.getpid()}~0a1b2c3d.1"),     # a live writer here
            temp("p1_16x9.jpg", "~other-host~123~0a1b2c3d.2"),             # elsewhere, just now
            temp("y.jpg", ""),                                             # an earlier version's, new
            out / "notes.tmp-smartcrop.txt"]
    kept[-1].write_text("not a temp file")
    r = run(src, "-o", out, "--skip-existing", env=env_for("anonymous"))
    assert r.returncode == 0, r.stderr
    assert (out / "p1_16x9.jpg").is_file()
    assert [p.name for p in gone if p.exists()] == []
    assert [p.name for p in kept if not p.exists()] == []


@pytest.mark.parametrize("way", WAYS)
def test_two_runs_started_together_write_every_crop_once(tmp_path, way):
    src = tmp_path / "in"
    photos = [images.photo(src / f"d{i % 4}" / f"p{i:03d}.jpg", 240, 180, seed=i) for i in range(120)]
    for attempt in range(2):
        out = tmp_path / f"out{attempt}"
        runs = [start("-R", src, "--ratio", "16:9,1:1", "-o", out, "--skip-existing", "--json", env=env_for(way))
                for _ in range(2)]
        results = [finish(p) for p in runs]
        for code, _, stderr in results:
            assert code == 0, stderr
            assert "error" not in stderr, stderr
        written = [c["output"] for _, stdout, _ in results for line in stdout.splitlines()
                   for c in json.loads(line)["crops"] if c["status"] == "written"]
        assert len(written) == len(set(written)) == 2 * len(photos), "a crop written twice, or not at all"
        assert len(list(out.rglob("*_16x9.jpg"))) == len(list(out.rglob("*_1x1.jpg"))) == len(photos)
        assert temp_files(out) == []
