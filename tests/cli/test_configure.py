"""A missing dependency at configure time names the Debian package to install: a new user
met only CMake's list of config file names (`Could NOT find GTest ...`) before."""
import subprocess

import pytest

from conftest import SOURCE_DIR


def configure(tmp_path, *args):
    return subprocess.run(["cmake", "-S", str(SOURCE_DIR), "-B", str(tmp_path / "b"), *args],
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("missing, package", [
    ("CLI11", "libcli11-dev"),
    ("exiv2", "libexiv2-dev"),
    ("OpenCV", "libopencv-dev"),
])
def test_a_missing_library_names_its_debian_package(tmp_path, missing, package):
    done = configure(tmp_path, f"-DCMAKE_DISABLE_FIND_PACKAGE_{missing}=ON", "-DSMARTCROP_BUILD_TESTS=OFF",
                     "-DSMARTCROP_WITH_DINO=OFF")
    assert done.returncode != 0
    assert f"smartcrop: {missing} was not found: install the Debian package" in done.stderr, done.stderr
    assert package in done.stderr.replace("\n", " "), done.stderr


def test_missing_googletest_names_its_packages_and_the_way_around_it(tmp_path):
    done = configure(tmp_path, "-DCMAKE_DISABLE_FIND_PACKAGE_GTest=ON", "-DSMARTCROP_WITH_DINO=OFF")
    assert done.returncode != 0
    message = " ".join(done.stderr.split())
    assert "GoogleTest was not found" in message and "libgtest-dev" in message, message
    assert "-DSMARTCROP_BUILD_TESTS=OFF" in message, message


def test_the_tool_configures_without_the_test_tools(tmp_path):
    # setup.sh's build: GoogleTest is not needed (it was, and setup.sh failed on a fresh machine).
    done = configure(tmp_path, "-DCMAKE_DISABLE_FIND_PACKAGE_GTest=ON", "-DSMARTCROP_BUILD_TESTS=OFF",
                     "-DSMARTCROP_WITH_DINO=OFF")
    assert done.returncode == 0, done.stderr


@pytest.mark.dino
def test_missing_libtorch_says_how_to_point_at_one_or_build_without(tmp_path):
    done = configure(tmp_path, "-DCMAKE_DISABLE_FIND_PACKAGE_Torch=ON", "-DSMARTCROP_BUILD_TESTS=OFF")
    assert done.returncode != 0
    message = " ".join(done.stderr.split())
    assert "LibTorch was not found" in message and "libtorch-dev" in message, message
    assert "-DCMAKE_PREFIX_PATH" in message and "-DSMARTCROP_WITH_DINO=OFF" in message, message
