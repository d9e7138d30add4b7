"""Where smartcrop looks for its DINO model, in a build tree and installed (`cmake
--install` into a folder here): the engine (`smartcrop -v`) and the model command
(`smartcrop-model info`) list the same places in the same order and find the same file;
an installed engine never looks at the source tree, and names the model command where a
build tree names scripts/export_model.py."""
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import BIN, DATA_HOME, SOURCE_DIR, WITH_DINO, no_default_model, run

PYTHON = "/usr/bin/python3"
SOURCE_COMMAND = SOURCE_DIR / "scripts" / "smartcrop-model"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The prefix of this build installed with `cmake --install` (bin/, libexec/, share/)."""
    prefix = tmp_path_factory.mktemp("prefix")
    done = subprocess.run(["cmake", "--install", str(BIN.parent), "--prefix", str(prefix)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return prefix


def environment(data_home, model=None):
    env = dict(os.environ, XDG_DATA_HOME=str(data_home), PYTHONDONTWRITEBYTECODE="1")
    env.pop("SMARTCROP_MODEL", None)
    if model is not None:
        env["SMARTCROP_MODEL"] = str(model)
    return env


def engine_lookup(binary, env):
    """The lookup `smartcrop -v` logs (its 'info:   N. ...' lines), and its whole stderr."""
    done = subprocess.run([str(binary), "-v"], capture_output=True, text=True, env=env, timeout=120)
    return re.findall(r"^info:   (\d\. .*)$", done.stderr, re.M), done.stderr


def command_lookup(command, env):
    done = subprocess.run([PYTHON, str(command), "info"], capture_output=True, text=True, env=env, timeout=120)
    return re.findall(r"^  (\d\. .*)$", done.stdout, re.M), done


def user_model(data_home):
    return Path(data_home) / "smartcrop" / "models" / "dino_vits16.pt"


def place_user_model(data_home, tiny_model):
    path = user_model(data_home)
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(tiny_model, path)
    return path


@no_default_model
def test_build_tree_engine_and_command_list_the_same_five_places(tmp_path):
    env = environment(tmp_path)
    engine, _ = engine_lookup(BIN, env)
    command, _ = command_lookup(SOURCE_COMMAND, env)
    assert engine == command == [
        "1. --model: not given",
        "2. $SMARTCROP_MODEL: not set",
        f"3. per-user folder: {user_model(tmp_path)}: not found",
        "4. system folder: /var/lib/smartcrop/models/dino_vits16.pt: not found",
        f"5. source tree: {SOURCE_DIR / 'models' / 'dino_vits16.pt'}: not found",
    ]


def test_the_per_user_folder_comes_before_the_rest_and_the_variable_before_it(tmp_path, tiny_model):
    found = place_user_model(tmp_path, tiny_model)
    engine, _ = engine_lookup(BIN, environment(tmp_path))
    command, done = command_lookup(SOURCE_COMMAND, environment(tmp_path))
    assert engine == command and engine[2] == f"3. per-user folder: {found}: found <- used"
    assert f"smartcrop loads {found} (per-user folder):" in done.stdout
    assert done.returncode == 0
    engine, _ = engine_lookup(BIN, environment(tmp_path, model=tiny_model))
    command, _ = command_lookup(SOURCE_COMMAND, environment(tmp_path, model=tiny_model))
    assert engine == command
    assert engine[1] == f"2. $SMARTCROP_MODEL: {tiny_model}: found <- used"
    assert engine[2] == f"3. per-user folder: {found}: found"  # there, but not used


def test_a_named_model_that_is_missing_is_used_all_the_same(tmp_path):
    missing = tmp_path / "none.pt"
    engine, _ = engine_lookup(BIN, environment(tmp_path, model=missing))
    command, done = command_lookup(SOURCE_COMMAND, environment(tmp_path, model=missing))
    assert engine == command and engine[1] == f"2. $SMARTCROP_MODEL: {missing}: not found <- used"
    assert done.returncode == 1 and f"error: {missing}: no such file (given by $SMARTCROP_MODEL)" in done.stderr


def test_an_installed_engine_has_no_source_tree_marker(installed):
    assert not list(installed.rglob("smartcrop_source_dir.txt"))
    assert (BIN.parent / "smartcrop_source_dir.txt").read_text().strip() == str(SOURCE_DIR)


@no_default_model
def test_an_installed_engine_never_looks_at_the_source_tree_and_names_the_model_command(installed, tmp_path):
    env = environment(tmp_path)
    engine, stderr = engine_lookup(installed / "bin" / "smartcrop", env)
    assert engine == [
        "1. --model: not given",
        "2. $SMARTCROP_MODEL: not set",
        f"3. per-user folder: {user_model(tmp_path)}: not found",
        "4. system folder: /var/lib/smartcrop/models/dino_vits16.pt: not found",
    ]
    # The build's source tree exists on this machine; the installed engine does not know it.
    assert str(SOURCE_DIR) not in stderr
    help_line = subprocess.run([str(installed / "bin" / "smartcrop"), "--help"], capture_output=True, text=True,
                               env=env, timeout=60).stdout.splitlines()[1]
    if WITH_DINO:
        assert help_line == ("Here --backend auto runs the built-in saliency: no DINO model found (get one with: "
                             "smartcrop-model fetch; -v lists where it looks).")
    else:
        assert "this build has no DINO support" in help_line


@pytest.mark.dino
@no_default_model
def test_installed_command_lists_what_the_installed_engine_does(installed, tmp_path, tiny_model, photo):
    command = installed / "bin" / "smartcrop-model"
    engine, _ = engine_lookup(installed / "bin" / "smartcrop", environment(tmp_path))
    listed, done = command_lookup(command, environment(tmp_path))
    assert listed == engine and len(listed) == 4
    assert done.returncode == 1 and "smartcrop finds no DINO model (get one with: smartcrop-model fetch)" in done.stdout
    found = place_user_model(tmp_path, tiny_model)
    engine, _ = engine_lookup(installed / "bin" / "smartcrop", environment(tmp_path))
    listed, done = command_lookup(command, environment(tmp_path))
    assert listed == engine and listed[2] == f"3. per-user folder: {found}: found <- used"
    assert "  weights: random (seed 1)" in done.stdout and "  architecture: tiny " in done.stdout
    # And with no flag, the installed smartcrop crops with it.
    cropped = subprocess.run([str(installed / "bin" / "smartcrop"), str(photo()), "--ratio", "1:1", "--json"],
                             capture_output=True, text=True, env=environment(tmp_path), timeout=300)
    assert cropped.returncode == 0 and '"backend":"dino"' in cropped.stdout, cropped.stderr


@pytest.mark.dino
@no_default_model
def test_without_the_plugin_an_installed_engine_names_the_package_that_has_it(installed, tmp_path, photo):
    # A copy without the DINO plugin: what the smartcrop package alone installs.
    bare = tmp_path / "bare"
    shutil.copytree(installed, bare, symlinks=True)
    (bare / "libexec" / "smartcrop" / "libsmartcrop_dino.so").unlink()
    done = subprocess.run([str(bare / "bin" / "smartcrop"), str(photo()), "--ratio", "1:1", "--json"],
                          capture_output=True, text=True, env=environment(tmp_path), timeout=300)
    assert done.returncode == 0 and '"backend":"saliency"' in done.stdout
    warning = [line for line in done.stderr.splitlines() if line.startswith("warning: no DINO model")]
    assert len(warning) == 1 and "come with the package smartcrop-dino" in warning[0], done.stderr
    assert "export_model.py" not in done.stderr


@no_default_model
def test_build_tree_warning_names_the_exporter_and_where_it_looked(photo, tmp_path):
    done = run(photo(), "--json")
    warning = [line for line in done.stderr.splitlines() if line.startswith("warning: no DINO model")]
    assert len(warning) == 1, done.stderr
    if WITH_DINO:
        assert warning[0].startswith(f"warning: no DINO model found (looked for {DATA_HOME}/smartcrop/models/"
                                     "dino_vits16.pt, /var/lib/smartcrop/models/dino_vits16.pt and "
                                     f"{SOURCE_DIR}/models/dino_vits16.pt); make one with: /usr/bin/python3 "
                                     "scripts/export_model.py; using the built-in saliency"), warning[0]
