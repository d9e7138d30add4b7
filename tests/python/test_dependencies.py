"""A fresh machine gets, from scripts/deps.sh, every module and program the tests and
scripts use: once 27 tests failed on a new machine for Pillow, which deps.sh never
installed, while CI on a machine that had it stayed green."""
import re

import check_deps

from conftest import REPO_ROOT

DEPS = REPO_ROOT / "scripts" / "deps.sh"


def without(tmp_path, package):
    """A copy of deps.sh with `package` dropped from its lists."""
    text = DEPS.read_text()
    dropped = re.sub(rf"(?<=[\s(]){re.escape(package)}(?=[\s)])", "", text)
    assert dropped != text, f"{package} is not in deps.sh"
    copy = tmp_path / "deps.sh"
    copy.write_text(dropped)
    return copy


def test_deps_sh_installs_every_module_and_program_the_python_uses():
    assert check_deps.check(REPO_ROOT, DEPS) == []


def test_a_module_whose_package_is_dropped_is_named_with_its_package(tmp_path):
    misses = check_deps.check(REPO_ROOT, without(tmp_path, "python3-pil"))
    assert any(m.startswith("module PIL ") and "python3-pil" in m for m in misses), misses


def test_a_program_whose_package_is_dropped_is_named_with_its_package(tmp_path):
    misses = check_deps.check(REPO_ROOT, without(tmp_path, "chromium"))
    assert any(m.startswith("program chromium") and "Debian package chromium," in m for m in misses), misses


def test_a_program_a_script_runs_is_checked_too(tmp_path):
    misses = check_deps.check(REPO_ROOT, without(tmp_path, "clang"))
    # clang++ is in clang-14 on Debian 12, clang-19 on Debian 13.
    assert any(m.startswith("program clang++ (used in scripts/fuzz.sh)") and re.search(r"\bclang-\d+\b", m)
               for m in misses), misses


def test_the_command_exits_non_zero_and_prints_the_miss(run_script, tmp_path):
    done = run_script("check_deps.py", "--deps", without(tmp_path, "python3-pytest"), REPO_ROOT)
    assert done.returncode == 1
    assert "module pytest " in done.stdout and "python3-pytest" in done.stdout, done.stdout
