"""Configuring against another LibTorch (cmake/torch.cmake): what is found is said, and a
LibTorch the plugin could not be built or linked against is refused at configure time.
The "other" LibTorch here is the system's CMake files copied elsewhere, edited as needed."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import SOURCE_DIR

SYSTEM_TORCH = next(iter(sorted(Path("/usr/lib").glob("*/cmake/Torch"))), None)
# What a CUDA build's Caffe2Config.cmake says (pip's torch with CUDA, Debian 13's libtorch-cuda-dev)
# where a CPU build's says OFF.
CUDA_BUILD = {"if(OFF)\n  # The file public/cuda.cmake": "if(ON)\n  # The file public/cuda.cmake",
              "set(CAFFE2_USE_CUDA OFF)": "set(CAFFE2_USE_CUDA ON)",
              "if( AND NOT CAFFE2_USE_CUDA)": "if(ON AND NOT CAFFE2_USE_CUDA)"}


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


def copied_cuda_libtorch(tmp_path):
    """The system's Torch and Caffe2 CMake files copied to tmp_path/libtorch/share/cmake, the
    Caffe2 config edited to say the LibTorch was built with CUDA; returns the prefix."""
    if SYSTEM_TORCH is None:
        pytest.skip("no system LibTorch CMake files to copy")
    cmake_dir = tmp_path / "libtorch" / "share" / "cmake"
    shutil.copytree(SYSTEM_TORCH, cmake_dir / "Torch")
    shutil.copytree(SYSTEM_TORCH.parent / "Caffe2", cmake_dir / "Caffe2")
    config = cmake_dir / "Caffe2" / "Caffe2Config.cmake"
    text = config.read_text()
    for cpu, cuda in CUDA_BUILD.items():
        assert cpu in text, cpu
        text = text.replace(cpu, cuda)
    config.write_text(text)
    return tmp_path / "libtorch"


@pytest.mark.dino
def test_a_cuda_libtorch_without_nvcc_is_one_line_naming_what_to_install(tmp_path):
    prefix = copied_cuda_libtorch(tmp_path)
    # A machine without the CUDA toolkit: hide any nvcc this one has from PATH and from CMake.
    folders = os.environ.get("PATH", "").split(":") + ["/usr/local/cuda/bin", "/usr/local/bin", "/usr/bin"]
    hidden = {d for d in folders if d and (Path(d) / "nvcc").exists()}
    hidden |= {os.path.realpath(d) for d in hidden}
    path = ":".join(d for d in os.environ.get("PATH", "").split(":") if d not in hidden)
    env = {k: v for k, v in os.environ.items() if k not in ("CUDACXX", "CUDA_HOME", "CUDA_PATH", "CUDAToolkit_ROOT")}
    done = subprocess.run([shutil.which("cmake"), "-S", str(SOURCE_DIR), "-B", str(tmp_path / "b"), "-DSMARTCROP_BUILD_TESTS=OFF",
                           f"-DCMAKE_PREFIX_PATH={prefix / 'share' / 'cmake'}",
                           f"-DCMAKE_IGNORE_PATH={';'.join(sorted(hidden))}"],
                          capture_output=True, text=True, timeout=300, env=dict(env, PATH=path))
    assert done.returncode != 0
    message = " ".join(done.stderr.split())
    assert (f"smartcrop: the LibTorch whose CMake files are in {prefix / 'share' / 'cmake' / 'Caffe2'} was built "
            "with CUDA, and they need the CUDA toolkit's compiler nvcc, which was not found: install the Debian "
            "package nvidia-cuda-toolkit (non-free)") in message, message
    assert "-DSMARTCROP_WITH_DINO=OFF" in message, message
    # Stopped before Caffe2's own message, which names neither the LibTorch nor a package.
    assert "Your installed Caffe2 version uses CUDA" not in message, message


@pytest.mark.dino
def test_a_cuda_libtorch_with_nvcc_goes_on_to_torchs_own_checks(tmp_path):
    # A stand-in nvcc (CUDACXX) gets past smartcrop's check; Caffe2's config then looks for
    # the CUDA libraries itself (and, on this machine without them, stops there).
    prefix = copied_cuda_libtorch(tmp_path)
    nvcc = tmp_path / "nvcc"
    nvcc.write_text("#!/bin/sh\nexit 1\n")
    nvcc.chmod(0o755)
    done = subprocess.run(["cmake", "-S", str(SOURCE_DIR), "-B", str(tmp_path / "b"), "-DSMARTCROP_BUILD_TESTS=OFF",
                           f"-DCMAKE_PREFIX_PATH={prefix / 'share' / 'cmake'}"], capture_output=True, text=True,
                          timeout=300, env=dict(os.environ, CUDACXX=str(nvcc)))
    assert f"LibTorch with CUDA: nvcc {nvcc}" in done.stdout, done.stdout + done.stderr
    assert "which was not found: install the Debian package nvidia-cuda-toolkit" not in done.stderr
