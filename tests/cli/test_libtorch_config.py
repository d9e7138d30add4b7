"""Configuring against another LibTorch (cmake/torch.cmake): what is found is said, and a
LibTorch the plugin could not be built or linked against is refused at configure time.
The "other" LibTorch here is the system's CMake files copied elsewhere, edited as needed."""
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import SOURCE_DIR

SYSTEM_TORCH = next(iter(sorted(Path("/usr/lib").glob("*/cmake/Torch"))), None)


def configure(tmp_path, *args):
    return subprocess.run(["cmake", "-S", str(SOURCE_DIR), "-B", str(tmp_path / "b"), "-DSMARTCROP_BUILD_TESTS=OFF",
                           *args], capture_output=True, text=True, timeout=300)


def copied_torch_config(tmp_path, abi=None):
    """Copies the system's TorchConfig.cmake to tmp_path/libtorch/share/cmake/Torch, with its
    string ABI flag changed to `abi` if given; returns the folder."""
    if SYSTEM_TORCH is None:
        pytest.skip("no system LibTorch CMake files to copy")
    folder = tmp_path / "libtorch" / "share" / "cmake" / "Torch"
    shutil.copytree(SYSTEM_TORCH, folder)
    if abi is not None:
        config = folder / "TorchConfig.cmake"
        text = config.read_text()
        assert "_GLIBCXX_USE_CXX11_ABI=1" in text
        config.write_text(text.replace("_GLIBCXX_USE_CXX11_ABI=1", f"_GLIBCXX_USE_CXX11_ABI={abi}"))
    return folder


@pytest.mark.dino
def test_configure_says_which_libtorch_it_found(tmp_path):
    done = configure(tmp_path)
    assert done.returncode == 0, done.stderr
    assert "-- LibTorch " in done.stdout and f"({SYSTEM_TORCH})" in done.stdout, done.stdout


@pytest.mark.dino
def test_a_torch_dir_whose_libraries_are_another_libtorchs_is_refused(tmp_path):
    # TorchConfig.cmake looks for Caffe2's config (the libraries) in the system folders first.
    other = copied_torch_config(tmp_path)
    done = configure(tmp_path, f"-DTorch_DIR={other}")
    assert done.returncode != 0
    message = " ".join(done.stderr.split())
    assert f"LibTorch's CMake files from {other} found Caffe2's (its libraries) in" in message, message
    assert "-DCMAKE_PREFIX_PATH=" in message, message


@pytest.mark.dino
def test_a_libtorch_with_the_old_string_abi_is_refused(tmp_path):
    other = copied_torch_config(tmp_path, abi=0)
    done = configure(tmp_path, f"-DTorch_DIR={other}")
    assert done.returncode != 0
    message = " ".join(done.stderr.split())
    assert f"LibTorch at {other} was built with the pre-C++11 ABI" in message, message
    assert "-DSMARTCROP_WITH_DINO=OFF" in message, message
