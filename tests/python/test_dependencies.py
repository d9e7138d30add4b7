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
    assert any(m.startswith("program clang++ (used in scripts/ci/fuzz.sh)") and re.search(r"\bclang-\d+\b", m)
               for m in misses), misses


def test_the_command_exits_non_zero_and_prints_the_miss(run_script, tmp_path):
    done = run_script("ci/check_deps.py", "--deps", without(tmp_path, "python3-pytest"), REPO_ROOT, timeout=900)
    assert done.returncode == 1
    assert "module pytest " in done.stdout and "python3-pytest" in done.stdout, done.stdout


def pretend_installed(monkeypatch, program, package):
    """Makes check_deps see `program` on PATH at /usr/bin, owned by Debian `package`."""
    real_which, real_package_of = check_deps.shutil.which, check_deps.package_of
    fake = f"/usr/bin/{program}"
    monkeypatch.setattr(check_deps.shutil, "which",
                        lambda name, *a, **k: fake if name == program else real_which(name, *a, **k))
    monkeypatch.setattr(check_deps, "package_of",
                        lambda path: package if path == fake else real_package_of(path))


def pretend_missing(monkeypatch, program):
    real_which = check_deps.shutil.which
    monkeypatch.setattr(check_deps.shutil, "which",
                        lambda name, *a, **k: None if name == program else real_which(name, *a, **k))


def test_sudo_on_path_is_no_dependency_of_deps_sh(monkeypatch):
    # deps.sh uses sudo only where it is installed and the user is not root: a machine
    # with sudo (most users') must not fail the check, as it once did.
    pretend_installed(monkeypatch, "sudo", "sudo")
    assert not [m for m in check_deps.check(REPO_ROOT, DEPS) if "sudo" in m]


def test_sudo_missing_from_path_is_no_dependency_either(monkeypatch):
    pretend_missing(monkeypatch, "sudo")
    assert not [m for m in check_deps.check(REPO_ROOT, DEPS) if "sudo" in m]


def test_a_guarded_program_is_optional_and_an_unguarded_one_is_not():
    guarded = '''as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else echo "needs root" >&2; exit 1
  fi
}
command -v exiftool >/dev/null && exiftool -ver'''
    assert not {"sudo", "exiftool"} & check_deps.unguarded_words(guarded)
    # The form deps.sh had: sudo in the else branch of a root test is a real use.
    unguarded = 'as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }'
    assert "sudo" in check_deps.unguarded_words(unguarded)
    # The else branch of a guard is where the program is missing: using it there is a use.
    assert "sudo" in check_deps.unguarded_words('if command -v sudo; then :; else sudo x; fi')



def test_only_words_a_shell_runs_are_programs():
    """libwww-perl puts HEAD, GET and POST in /usr/bin: a git revision, a variable's value,
    a word in a message or a here-document is no use of them (it once failed this check on
    every machine with lintian, which pulls libwww-perl in)."""
    script = "\n".join([
        "#!/usr/bin/env bash",
        "# HEAD of the repository, or GET it from the mirror",
        "commit=HEAD",
        'sha=$(git -C "$repo" rev-parse --verify "$commit^{commit}")',
        'git rev-parse HEAD >/dev/null && echo "GET the page" | tee log.txt',
        "if test -f \"$sha\"; then [[ $mode == POST ]] || printf '%s\\n' GET; fi",
        'for method in HEAD GET; do curl -X "$method" "$url"; done',
        'case "$method" in GET|HEAD) xargs -r sed -i "s/HEAD/main/" < files.txt ;; esac',
        "python3 - <<'PY'",
        'HEAD = "GET"',
        "print(HEAD)",
        "PY",
        "cat <<END | ssh host",
        "GET /index.html",
        "END",
        'run() { if command -v sudo >/dev/null; then sudo "$@"; else "$@"; fi; }',
        "run apt-get install -y make",
        'exec env LC_ALL=C timeout 5 bash -c "ls | wc -l"',
    ])
    assert check_deps.unguarded_words(script) == {
        "git", "echo", "tee", "test", "printf", "curl", "xargs", "sed", "python3", "cat", "ssh", "apt-get",
        "exec", "env", "timeout", "bash", "ls", "wc"}


def test_a_program_in_command_position_is_found_wherever_it_is():
    found = check_deps.unguarded_words
    assert found("x=$(GET http://a/b)") == {"GET"}
    assert found("ok && HEAD http://a || true") == {"ok", "HEAD", "true"}
    assert found("/usr/bin/GET http://a | grep x") == {"GET", "grep"}
    assert found("bash -c 'GET http://a'") == {"bash", "GET"}
    assert found('cxx=${FUZZ_CXX:-clang++}\ncommand -v "$cxx" >/dev/null || exit 2') == {"clang++", "exit"}
    assert found('for t in help2man file; do\n  if ! command -v "$t"; then exit 2; fi\ndone') == \
        {"help2man", "file", "exit"}


def test_libwww_perl_on_path_is_no_dependency_of_deps_sh(monkeypatch):
    for program in ("HEAD", "GET", "POST"):
        pretend_installed(monkeypatch, program, "libwww-perl")
    assert not [m for m in check_deps.check(REPO_ROOT, DEPS) if "libwww-perl" in m]
