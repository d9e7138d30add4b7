"""Runs the real smartcrop binary on images generated here (never real photos)."""
import atexit
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import cv2
import numpy as np
import pytest

SOURCE_DIR = Path(os.environ.get("SMARTCROP_SOURCE_DIR", Path(__file__).resolve().parents[2]))
BIN = Path(os.environ.get("SMARTCROP_BIN", SOURCE_DIR / "build" / "smartcrop"))
MODELS = Path(os.environ.get("SMARTCROP_TEST_MODELS", SOURCE_DIR / "build" / "test-models"))
# CMake says whether this build has the DINO plugin (-DSMARTCROP_WITH_DINO).
WITH_DINO = os.environ.get("SMARTCROP_WITH_DINO", "1") == "1"
ENGINE = BIN.parent / "smartcrop-engine"
PLUGIN = BIN.parent / "libsmartcrop_dino.so"


def pytest_configure(config):
    config.addinivalue_line("markers", "dino: needs the DINO backend (skipped in a -DSMARTCROP_WITH_DINO=OFF build)")
    config.addinivalue_line("markers", "nodino: checks a -DSMARTCROP_WITH_DINO=OFF build (skipped in others)")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("dino") and not WITH_DINO:
            item.add_marker(pytest.mark.skip(reason="this build has no DINO support"))
        if item.get_closest_marker("nodino") and WITH_DINO:
            item.add_marker(pytest.mark.skip(reason="this build has DINO"))


# The per-user model folder of every run: an empty one, so that a model the person running
# the tests fetched for themselves (~/.local/share/smartcrop/models) changes no result.
DATA_HOME = Path(tempfile.mkdtemp(prefix="smartcrop-test-data-"))
atexit.register(shutil.rmtree, DATA_HOME, ignore_errors=True)
# Where smartcrop finds a model when none is named, other than the per-user folder: a test
# that needs "no model" skips when one of them has one (this machine's, not the test's).
DEFAULT_MODELS = [Path("/var/lib/smartcrop/models/dino_vits16.pt"), SOURCE_DIR / "models" / "dino_vits16.pt"]
no_default_model = pytest.mark.skipif(any(p.exists() for p in DEFAULT_MODELS),
                                      reason="this machine has a DINO model where smartcrop looks by default")


def run(*args, timeout=300, env=None):
    """Runs smartcrop with args; returns the CompletedProcess (text mode)."""
    full_env = dict(os.environ, XDG_DATA_HOME=str(DATA_HOME))
    full_env.pop("SMARTCROP_MODEL", None)  # tests name their model explicitly
    full_env.update(env or {})
    return subprocess.run([str(BIN), *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          env=full_env)


def subject_photo(width, height, cx, cy, radius, seed=0):
    """A dull, slightly noisy background with one bright textured disc at (cx, cy)."""
    rng = np.random.default_rng(seed)
    image = np.full((height, width, 3), (90, 110, 100), np.uint8)
    image = np.clip(image + rng.normal(0, 3, image.shape), 0, 255).astype(np.uint8)
    yy, xx = np.mgrid[:height, :width]
    disc = (xx - cx) ** 2 + (yy - cy) ** 2 < radius * radius
    checker = ((xx // 8 + yy // 8) % 2).astype(bool)
    image[disc & checker] = (20, 30, 240)
    image[disc & ~checker] = (240, 250, 255)
    return image


@pytest.fixture
def photo(tmp_path):
    """Writes a generated photo; returns its path. photo(name, w, h, cx, cy, r)."""
    def make(name="photo.jpg", width=1200, height=800, cx=None, cy=None, radius=None):
        cx = width // 2 if cx is None else cx
        cy = height // 2 if cy is None else cy
        radius = min(width, height) // 8 if radius is None else radius
        path = tmp_path / name
        assert cv2.imwrite(str(path), subject_photo(width, height, cx, cy, radius))
        return path
    return make


@pytest.fixture(scope="session")
def tiny_model():
    return MODELS / "tiny_random.pt"


@pytest.fixture(scope="session")
def full_model():
    return MODELS / "vits16_random.pt"
