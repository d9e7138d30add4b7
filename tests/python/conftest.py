"""Shared helpers: run the scripts the way users do, and a tiny random model."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = REPO_ROOT / "scripts"
# Debian's interpreter: the one with python3-torch. A pyenv python3 may come first on PATH.
PYTHON = "/usr/bin/python3"
METADATA_NAME = "smartcrop_model.json"

sys.path.insert(0, str(SCRIPTS))
# The development tools the tests import: check_deps (CI), reference_pipeline (quality).
sys.path[1:1] = [str(SCRIPTS / "ci"), str(SCRIPTS / "quality")]


@pytest.fixture(scope="session")
def run_script(tmp_path_factory):
    """Returns run(script, *args) -> CompletedProcess, run from the repo root."""
    # A private cache: no test may read or fill the user's ~/.cache/smartcrop.
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path_factory.mktemp("cache")))

    def run(script, *args, timeout=120):
        command = [PYTHON, str(SCRIPTS / script), *(str(a) for a in args)]
        return subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                              timeout=timeout)

    return run


@pytest.fixture(scope="session")
def tiny_model(run_script, tmp_path_factory):
    """Path of a tiny random-weight model exported through the CLI."""
    path = tmp_path_factory.mktemp("models") / "tiny.pt"
    done = run_script("export_model.py", "--arch", "tiny", "--random-init", "--seed", "7", "-o", path)
    assert done.returncode == 0, done.stderr
    return path


def read_metadata(path):
    """Returns the smartcrop_model.json stored in a TorchScript file, parsed."""
    extra = {METADATA_NAME: ""}
    torch.jit.load(str(path), map_location="cpu", _extra_files=extra)
    return json.loads(extra[METADATA_NAME])
