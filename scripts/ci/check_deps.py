#!/usr/bin/python3
"""Checks that a fresh Debian machine gets, from scripts/deps.sh, every Python module and
every program that the project's Python (tests/ and scripts/) uses.

A module counts when it is in the standard library, is the project's own, or comes
from a Debian package that deps.sh installs (listed there, on every minbase system:
Essential or apt, or pulled in by those packages' Depends). Each module's file is mapped to its package with
`dpkg -S`. Programs are the literal names the tests start (`subprocess.run(["cmake",
...])`, `shutil.which("chromium")`, "/usr/bin/..." paths); names tried in a loop are
alternatives, one of which must be installed that way. Shell scripts under scripts/ and
tests/ and the tests' CMake files are read too: every program a shell script runs (a
word in command position, scripts/ci/shell_commands.py; not any word that names a file
in /usr/bin, such as the git revision HEAD) that a Debian package owns must come from an
installed-that-way package, unless every use of it is guarded by the script: inside
`if command -v NAME ...; then ... fi` (or `elif`, `type -P`, `hash`), or after
`command -v NAME ... &&` on the same line, so that the script works without it. For
CMake files, the programs are the first words of COMMAND arguments.

  /usr/bin/python3 scripts/ci/check_deps.py [--deps FILE] [PROJECT_DIR]

Prints one line per miss, naming the module or program, where it is used and the
package to add; exits 1 if there is any. Run it with the Python the tests use.
"""
import argparse
import ast
import functools
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from shell_commands import unguarded_commands as unguarded_words

SUBPROCESS_CALLS = {"run", "Popen", "call", "check_call", "check_output"}
PROGRAM_PATH = re.compile(r"^/(usr/)?s?bin/[\w.+-]+$")


def deps_packages(deps_sh):
    """Every package name in a bash array of deps.sh: `packages=(...)` and `packages+=(...)`."""
    text = re.sub(r"#.*", "", Path(deps_sh).read_text())
    names = set()
    for body in re.findall(r"\w+\+?=\(([^()]*)\)", text):
        names.update(w for w in body.split() if re.fullmatch(r"[a-z0-9][a-z0-9.+-]+", w))
    return names


def installed_closure(roots):
    """`roots`, what every minbase system has (Essential packages and apt), and all their
    Depends/Pre-Depends pull in. Priority alone proves nothing: `debootstrap --variant=minbase`
    installs no `important` package that apt does not need."""
    fmt = "${Package}\t${Essential}\t${Depends}, ${Pre-Depends}\t${Provides}\t${db:Status-Abbrev}\t${Priority}\n"
    out = subprocess.run(["dpkg-query", "-W", "-f", fmt], capture_output=True, text=True).stdout
    depends, providers, essential = {}, {}, set()
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) < 5 or not parts[4].startswith("ii"):
            continue
        name, ess, deps, provides = parts[:4]
        depends[name] = [[re.split(r"[\s:(]", alt.strip())[0] for alt in group.split("|")]
                         for group in deps.split(",") if group.strip()]
        for p in provides.split(","):
            if p.strip():
                providers.setdefault(re.split(r"[\s(]", p.strip())[0], []).append(name)
        if ess == "yes" or name == "apt":
            essential.add(name)  # on every Debian system (minbase installs these)
    seen, todo = set(), list(roots | essential)
    while todo:
        name = todo.pop()
        for real in [name] + providers.get(name, []):
            if real in seen or real not in depends:
                continue
            seen.add(real)
            for alternatives in depends[real]:
                todo.extend(alternatives)
    return seen | roots


@functools.lru_cache(maxsize=None)
def package_of(path):
    # On a merged /usr, /usr/bin/mount is the file dpkg knows as /bin/mount: try both.
    real = os.path.realpath(path)
    candidates = [real, path] + [p[len("/usr"):] for p in (real, path) if p.startswith("/usr/")]
    for candidate in dict.fromkeys(candidates):
        done = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if done.returncode == 0:
            return done.stdout.split(":")[0].strip()
    return None


def python_files(project):
    for top in ("tests", "scripts"):
        yield from sorted((project / top).rglob("*.py"))


def literal_program(node):
    """The program name of `subprocess.run(["name", ...])` or `shutil.which("name")`, else None."""
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute) or not node.args:
        return None
    owner = node.func.value.id if isinstance(node.func.value, ast.Name) else None
    first = node.args[0]
    if owner == "subprocess" and node.func.attr in SUBPROCESS_CALLS and isinstance(first, (ast.List, ast.Tuple)):
        first = first.elts[0] if first.elts else None
    elif not (owner == "shutil" and node.func.attr == "which"):
        return None
    if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value:
        return first.value
    return None


def scan(project):
    """Returns ({module: first file importing it}, [(alternatives, file)] of programs the tests start)."""
    modules, programs = {}, []
    for path in python_files(project):
        rel = str(path.relative_to(project))
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    modules.setdefault(alias.name.split(".")[0], rel)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules.setdefault(node.module.split(".")[0], rel)
            if not rel.startswith("tests"):
                continue
            if isinstance(node, ast.For) and isinstance(node.iter, (ast.Tuple, ast.List)):
                names = [e.value for e in node.iter.elts if isinstance(e, ast.Constant) and isinstance(e.value, str) and e.value]
                if names and any(isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "which" for n in ast.walk(node)):
                    programs.append((names, rel))
            name = literal_program(node)
            if name:
                programs.append(([name], rel))
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and PROGRAM_PATH.match(node.value):
                programs.append(([node.value], rel))
    return modules, programs


SHELL_WORD = re.compile(r"(?<![\w$/.-])[A-Za-z][\w.+-]*")


def shell_files(project):
    # The user's commands and the development tools; not scripts/gpu/, which runs on machines
    # of its own (a CUDA build root, a GPU host), not on what deps.sh sets up.
    for folder in ("", "ci", "bench", "quality"):
        yield from sorted((project / "scripts" / folder).glob("*.sh"))
    for pattern in ("*.sh", "*.cmake", "CMakeLists.txt"):
        yield from sorted((project / "tests").rglob(pattern))


def shell_programs(project):
    """[(name, file)] for the words of shell and CMake files that name a packaged program on
    PATH, leaving out those a shell script uses only behind a guard (`command -v NAME`)."""
    found, seen = [], set()
    for path in shell_files(project):
        text = path.read_text(errors="replace")
        if path.suffix != ".sh":  # CMake: only what a COMMAND runs, not CMake's own commands
            text = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
            words = set(SHELL_WORD.findall(" ".join(re.findall(r"\bCOMMAND\s+([^\s)]+)", text))))
        else:
            words = unguarded_words(text)
        for word in sorted(words):
            if (word, path) in seen:
                continue
            seen.add((word, path))
            where = shutil.which(word)
            if where and where.startswith(("/usr/bin/", "/bin/", "/usr/sbin/", "/sbin/")):
                found.append((word, str(path.relative_to(project))))
    return found


def check(project, deps_sh):
    listed = deps_packages(deps_sh)
    allowed = installed_closure(listed)
    local = {p.stem for p in python_files(project)}
    stdlib = sysconfig.get_paths()["stdlib"]
    modules, programs = scan(project)
    misses = []
    for module, where in sorted(modules.items()):
        if module in local or module in sys.builtin_module_names or module == "__future__":
            continue
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError):
            spec = None
        if spec is None:
            misses.append(f"module {module} (imported by {where}) is not installed for {sys.executable}")
            continue
        origin = spec.origin or next(iter(spec.submodule_search_locations or []), None)
        if origin in (None, "built-in", "frozen") or (origin.startswith(stdlib) and "-packages" not in origin):
            continue
        if origin.startswith(str(project)):
            continue
        package = package_of(origin)
        if package is None:
            misses.append(f"module {module} (imported by {where}) comes from {origin}, which no Debian package owns")
        elif package not in allowed:
            misses.append(f"module {module} (imported by {where}) is in Debian package {package}, "
                          f"which scripts/deps.sh does not install")
    for names, where in programs:
        found = []
        for name in names:
            path = name if name.startswith("/") else shutil.which(name)
            if path and os.path.exists(path):
                found.append((name, package_of(path)))
        if any(package in allowed for _, package in found):
            continue
        what = " or ".join(names)
        if not found:
            misses.append(f"program {what} (started by {where}) is not installed")
        else:
            name, package = found[0]
            misses.append(f"program {name} (started by {where}) is in Debian package {package}, "
                          f"which scripts/deps.sh does not install" if package else
                          f"program {name} (started by {where}) is not from a Debian package")
    for name, where in shell_programs(project):
        package = package_of(shutil.which(name))
        if package is not None and package not in allowed:
            misses.append(f"program {name} (used in {where}) is in Debian package {package}, "
                          f"which scripts/deps.sh does not install")
    return misses


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("project", nargs="?", default=str(Path(__file__).resolve().parents[2]))
    parser.add_argument("--deps", help="the deps.sh to read (default: PROJECT/scripts/deps.sh)")
    args = parser.parse_args()
    project = Path(args.project).resolve()
    misses = check(project, args.deps or project / "scripts" / "deps.sh")
    for line in misses:
        print(line)
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
