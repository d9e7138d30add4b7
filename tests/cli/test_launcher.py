"""The `smartcrop` launcher (src/cli/launcher.cpp): it starts smartcrop-engine with the
heap on transparent huge pages, passes arguments, output and exit codes through, keeps
the user's own glibc tunables, and says so in one line when the engine is missing. And
the engine's choice of Torch kernels, which the user's ATEN_CPU_CAPABILITY overrides."""
import shutil
import subprocess

import pytest

from conftest import BIN, run


def heap_line(stderr):
    lines = [line for line in stderr.splitlines() if "heap on transparent huge pages" in line]
    assert len(lines) == 1, stderr
    return lines[0]


def test_engine_runs_with_huge_page_heap(photo):
    done = run(photo(), "--backend", "saliency", "--ratio", "16:9", "--print-box", "-v")
    assert done.returncode == 0, done.stderr
    assert "heap on transparent huge pages: yes" in heap_line(done.stderr)
    assert len(done.stdout.split()) == 4  # x y w h came through stdout


def test_users_tunables_are_kept(photo):
    mine = run(photo(), "--backend", "saliency", "--ratio", "1:1", "--print-box", "-v",
               env={"GLIBC_TUNABLES": "glibc.malloc.check=0"})
    assert mine.returncode == 0, mine.stderr
    assert "GLIBC_TUNABLES=glibc.malloc.check=0:glibc.malloc.hugetlb=1" in heap_line(mine.stderr)
    # A user who chose the huge-page setting keeps their choice.
    off = run(photo(), "--backend", "saliency", "--ratio", "1:1", "--print-box", "-v",
              env={"GLIBC_TUNABLES": "glibc.malloc.hugetlb=0"})
    assert off.returncode == 0, off.stderr
    assert "heap on transparent huge pages: no (GLIBC_TUNABLES=glibc.malloc.hugetlb=0)" in heap_line(off.stderr)


def test_exit_codes_and_errors_pass_through(photo, tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    done = run(photo(), bad, "--backend", "saliency", "--ratio", "16:9", "-o", tmp_path / "out")
    assert done.returncode == 1
    assert str(bad) in done.stderr
    assert (tmp_path / "out" / "photo_16x9.jpg").exists()
    assert run("--no-such-option").returncode != 0


def test_missing_engine_is_one_clear_line(tmp_path):
    lonely = tmp_path / "smartcrop"
    shutil.copy(BIN, lonely)
    done = subprocess.run([str(lonely), "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert str(tmp_path / "smartcrop-engine") in done.stderr and "cannot start" in done.stderr


def test_installed_layout_finds_the_engine(tmp_path):
    build = BIN.parent
    prefix = tmp_path / "prefix"
    subprocess.run(["cmake", "--install", str(build), "--prefix", str(prefix)], check=True,
                   capture_output=True, timeout=300)
    assert (prefix / "libexec" / "smartcrop" / "smartcrop-engine").exists()
    assert (prefix / "libexec" / "smartcrop" / "libsmartcrop_imgcodecs.so").exists()
    done = subprocess.run([str(prefix / "bin" / "smartcrop"), "--version"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("smartcrop ")


def cpu_has_avx512():
    flags = next((line.split(":", 1)[1].split() for line in open("/proc/cpuinfo") if line.startswith("flags")), [])
    return all(f in flags for f in ("avx512f", "avx512bw", "avx512vl", "avx512dq", "fma"))


@pytest.mark.dino
def test_model_line_names_the_kernels_and_a_users_choice_is_kept(photo, tiny_model):
    args = (photo(), "--backend", "dino", "--model", tiny_model, "--ratio", "1:1", "--print-box", "-v")
    default = run(*args)
    assert default.returncode == 0, default.stderr
    expected = "AVX512" if cpu_has_avx512() else "AVX2"
    assert f"{expected} kernels" in default.stderr
    chosen = run(*args, env={"ATEN_CPU_CAPABILITY": "avx2"})
    assert chosen.returncode == 0, chosen.stderr
    assert "AVX2 kernels" in chosen.stderr
