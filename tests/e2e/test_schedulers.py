"""The scale-out recipes of docs/BATCH.md ("Spreading a job over machines"), taken from
the document itself and run as a user would: a Slurm job array on a real single-node
cluster (scripts/cluster/slurm_cluster.sh: Debian's slurm-wlm and munge), GNU parallel, and the
command of the Kubernetes indexed Job for every index.

Every run is checked alike: each photo's crops exist once and decode whole at their
ratio, the JSON lines hold one record per photo, no temp file is left, and every task
ended well. The Slurm and parallel tests skip when their tools are missing (or, for
Slurm, without root), unless SMARTCROP_REQUIRE_SCHEDULERS=1 (CI) makes that a failure.

  SMARTCROP_BIN=build/smartcrop /usr/bin/python3 -m pytest -s tests/e2e/test_schedulers.py
"""
import collections
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

SOURCE_DIR = Path(os.environ.get("SMARTCROP_SOURCE_DIR", Path(__file__).resolve().parents[2]))
DOC = SOURCE_DIR / "docs" / "BATCH.md"
BIN = os.environ.get("SMARTCROP_BIN", "smartcrop")
REQUIRED = os.environ.get("SMARTCROP_REQUIRE_SCHEDULERS") == "1"
RATIOS = {"16x9": 16 / 9, "1x1": 1.0}
PHOTOS = 200


def require(condition, reason):
    if condition:
        return
    if REQUIRED:
        pytest.fail(f"{reason} (SMARTCROP_REQUIRE_SCHEDULERS=1)")
    pytest.skip(reason)


def job_env():
    """This environment with smartcrop on PATH: what sbatch passes on to the tasks."""
    env = dict(os.environ)
    env.pop("SMARTCROP_TEST_HOLD", None)
    if os.sep in BIN:
        env["PATH"] = f"{Path(BIN).resolve().parent}{os.pathsep}{env['PATH']}"
    return env


# ---- the recipes, from the document ---------------------------------------------------

def doc_blocks():
    """The fenced code blocks of docs/BATCH.md: (language, text)."""
    return re.findall(r"^```(\w*)\n(.*?)^```", DOC.read_text(), re.M | re.S)


def sbatch_script():
    scripts = [text for lang, text in doc_blocks() if text.startswith("#!/bin/sh\n") and "#SBATCH" in text]
    assert len(scripts) == 1, f"expected one job script (#!/bin/sh with #SBATCH lines) in {DOC}"
    return scripts[0]


def parallel_commands():
    blocks = [text for lang, text in doc_blocks() if lang == "sh" and "\nparallel " in f"\n{text}"]
    assert len(blocks) == 1, f"expected one block running GNU parallel in {DOC}"
    return blocks[0]


def kubernetes_job():
    """The indexed Job's completions, and its container's shell command (folded YAML)."""
    jobs = [text for lang, text in doc_blocks() if lang == "yaml" and "kind: Job" in text]
    assert len(jobs) == 1, f"expected one Kubernetes Job in {DOC}"
    job = jobs[0]
    assert "completionMode: Indexed" in job
    completions = int(re.search(r"^\s*completions: (\d+)$", job, re.M).group(1))
    folded = re.search(r"^(\s*)- >-\n((?:\1  .*\n)+)", job, re.M)
    assert folded, "expected the container's args as one folded (>-) block"
    command = " ".join(line.strip() for line in folded.group(2).splitlines())
    return completions, command


# ---- photos and checks ------------------------------------------------------------------

def make_photos(folder, count=PHOTOS):
    """Noisy 800x600 JPEGs with a bright disc, in nested folders, unique file names."""
    photos = []
    for i in range(count):
        noise = Image.effect_noise((800, 600), 40).point(lambda v, i=i: (v + 3 * i) % 256)
        img = Image.merge("RGB", (noise, noise.rotate(90, expand=False), noise.transpose(Image.FLIP_LEFT_RIGHT)))
        x, y = 100 + (i * 37) % 600, 100 + (i * 53) % 400
        ImageDraw.Draw(img).ellipse((x - 60, y - 60, x + 60, y + 60), fill=(250, 40, 30))
        path = folder / f"y{2020 + i % 3}" / f"d{i % 5}" / f"p{i:04d}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        img.save(path, quality=90)
        photos.append(path)
    return photos


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    return make_photos(tmp_path_factory.mktemp("photos"))


def job_folder(tmp_path, photos):
    """A job folder as the recipes expect it: photos.txt (as `find` writes it), logs/."""
    work = tmp_path / "job"
    (work / "logs").mkdir(parents=True)
    (work / "results").mkdir()
    (work / "photos.txt").write_text("".join(f"{p}\n" for p in reversed(photos)))  # any order will do
    return work


def read_records(files):
    records = []
    for path in files:
        for line in Path(path).read_text().splitlines():
            if line.strip():
                records.append(json.loads(line))
    return records


def check_outputs(work, photos, records, runs_per_photo=1, also=()):
    """Every crop once and whole, `runs_per_photo` records per photo, no temp file; `also`:
    records of a second run of some photos (a replacement pod), checked for failures and
    crops written twice but not counted per photo. Returns the (written, skipped) crops."""
    thumbs = work / "thumbs"
    expected = {f"{p.stem}_{label}.jpg" for p in photos for label in RATIOS}
    found = sorted(p.relative_to(thumbs).as_posix() for p in thumbs.rglob("*") if p.is_file())
    assert len(found) == len(set(found)) and set(found) == expected, \
        f"{len(found)} files in thumbs/, {len(expected)} crops expected; extra {sorted(set(found) - expected)[:5]}, " \
        f"missing {sorted(expected - set(found))[:5]}"
    for name in found:
        with Image.open(thumbs / name) as img:
            img.load()  # raises on a truncated file
            ratio = RATIOS[name.rsplit("_", 1)[1][:-4]]
            assert abs(img.width / img.height - ratio) < 0.01, f"{name} is {img.width}x{img.height}"
    temps = [p for p in work.rglob("*") if ".tmp-" in p.name]
    assert temps == [], f"temp files left: {temps[:5]}"
    per_photo = collections.Counter(r["input"] for r in records)
    assert set(per_photo) == {str(p) for p in photos}, "records for other photos, or photos without a record"
    assert set(per_photo.values()) == {runs_per_photo}, f"records per photo: {collections.Counter(per_photo.values())}"
    records = [*records, *also]
    failed = [r for r in records if r["status"] == "failed" or any(c["status"] == "failed" for c in r.get("crops", []))]
    assert failed == [], f"failed: {failed[:3]}"
    statuses = collections.Counter(c["status"] for r in records for c in r["crops"])
    written = collections.Counter(c["output"] for r in records for c in r["crops"] if c["status"] == "written")
    assert all(n == 1 for n in written.values()), f"crops written twice: {[o for o, n in written.items() if n > 1][:5]}"
    return statuses["written"], statuses["skipped"]


# ---- Slurm -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def slurm():
    """A running single-node cluster; its environment for sbatch/scontrol. Stopped at the end."""
    missing = [t for t in ("munged", "slurmctld", "slurmd", "sbatch", "scontrol") if shutil.which(t) is None]
    require(not missing, f"Slurm is not installed (no {', '.join(missing)}: apt-get install slurm-wlm munge)")
    require(os.geteuid() == 0, "the Slurm cluster needs root (munged and slurmd run as root)")
    script = SOURCE_DIR / "scripts" / "cluster" / "slurm_cluster.sh"
    started = subprocess.run(["bash", str(script), "start"], capture_output=True, text=True, timeout=180)
    assert started.returncode == 0, started.stderr
    folder = started.stdout.strip().splitlines()[-1]
    print(started.stderr.strip())
    env = job_env()
    env["SLURM_CONF"] = f"{folder}/slurm.conf"
    try:
        yield env
    finally:
        logs = subprocess.run(["bash", str(script), "logs", folder], capture_output=True, text=True)
        # Not errors here: MPI plugins without PMIx, the first start without saved state,
        # the requeue's own notice, no name for 127.0.0.1 (a minimal root has no /etc/hosts).
        boring = ("pmix", "mpi/", "mpi:", "backup state save", "no such file", "due to job requeue",
                  "getnameinfo", "lookup failed for 127.0.0.1")
        errors = [line for line in logs.stdout.splitlines()
                  if " error: " in line and not any(b in line.lower() for b in boring)]
        if errors:
            print("slurm daemons' errors:\n" + "\n".join(errors[-20:]))
        subprocess.run(["bash", str(script), "stop", folder], timeout=180)


def sh(cmd, env, cwd=None, timeout=120):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)
    assert r.returncode == 0, f"{' '.join(map(str, cmd))}: {r.stderr}"
    return r.stdout


def submit(work, env, *options):
    (work / "crop.sbatch").write_text(sbatch_script())
    out = sh(["sbatch", "--parsable", *options, "crop.sbatch"], env, cwd=work)
    return out.strip().split(";")[0]


def tasks(job, env):
    """The array's tasks from `scontrol show job` (no accounting: kept for MinJobAge)."""
    out = sh(["scontrol", "-o", "show", "job", job], env)
    rows = []
    for line in out.splitlines():
        fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
        if "ArrayTaskId" in fields:
            rows.append(fields)
    return sorted(rows, key=lambda f: int(f["ArrayTaskId"]))


def wait_for(jobs, env, timeout=300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not sh(["squeue", "-h", "-j", ",".join(jobs)], env).strip():
            return
        time.sleep(0.5)
    pytest.fail(f"jobs {jobs} not finished after {timeout} s:\n{sh(['squeue'], env)}")


def report(job, env):
    """Prints the tasks' states (the CI log shows them); returns them."""
    rows = tasks(job, env)
    for f in rows:
        print(f"  job {f['ArrayJobId']} task {f['ArrayTaskId']}: {f['JobState']}, exit {f['ExitCode']}, "
              f"restarts {f['Restarts']}, node {f.get('NodeList', '?')}")
    return rows


def assert_completed(rows, count):
    assert len(rows) == count, f"{len(rows)} tasks, {count} expected"
    bad = [(f["ArrayTaskId"], f["JobState"], f["ExitCode"]) for f in rows
           if f["JobState"] != "COMPLETED" or f["ExitCode"] != "0:0"]
    assert bad == [], f"tasks that did not complete with exit 0: {bad}"


def test_slurm_array_crops_every_photo_once(slurm, tmp_path, photos):
    work = job_folder(tmp_path, photos)
    job = submit(work, slurm, "--array=1-4", "--cpus-per-task=1")
    wait_for([job], slurm)
    print(f"slurm: array {job} of 4 tasks over {len(photos)} photos, 2 ratios")
    rows = report(job, slurm)
    assert_completed(rows, 4)
    records = read_records(sorted((work / "results").glob(f"crop-{job}-*.jsonl")))
    written, skipped = check_outputs(work, photos, records)
    print(f"  {len(records)} records, {written} crops written, {skipped} skipped, no temp file")
    assert (written, skipped) == (2 * len(photos), 0)


def test_slurm_task_requeued_while_it_runs(slurm, tmp_path, photos):
    work = job_folder(tmp_path, photos)
    job = submit(work, slurm, "--array=1-4", "--cpus-per-task=1")
    results = work / "results" / f"crop-{job}-2.jsonl"
    shard = len(photos) // 4
    deadline = time.monotonic() + 120
    done = 0
    while done < 3:  # a few photos of task 2 are written: requeue it in the middle of its work
        assert time.monotonic() < deadline, "task 2 wrote no record in 120 s"
        done = len(results.read_text().splitlines()) if results.exists() else 0
        time.sleep(0.02)
    sh(["scontrol", "requeue", f"{job}_2"], slurm)
    print(f"slurm: array {job}: task 2 requeued after {done} of its {shard} photos")
    assert done < shard - 10, f"task 2 had nearly finished ({done} of {shard}) before the requeue"
    wait_for([job], slurm)
    rows = report(job, slurm)
    assert_completed(rows, 4)
    assert [f["Restarts"] for f in rows] == ["0", "1", "0", "0"]
    records = read_records(sorted((work / "results").glob(f"crop-{job}-*.jsonl")))
    written, skipped = check_outputs(work, photos, records)
    rerun = read_records([results])
    rerun_skipped = sum(c["status"] == "skipped" for r in rerun for c in r["crops"])
    print(f"  {len(records)} records; task 2's second run kept {rerun_skipped} crops its first run had written; "
          f"{written} written, {skipped} skipped in all, no temp file")
    assert rerun_skipped >= 2 * min(done, 3), "the second run of task 2 redid the first run's crops"
    log = (work / "logs" / f"crop-{job}-2.log").read_text()
    assert "error:" not in log, log


def test_slurm_two_arrays_over_the_same_photos_at_once(slurm, tmp_path, photos):
    """A job resubmitted while the first still runs: both arrays on the same photos and
    the same folder at the same time (held, then released together)."""
    work = job_folder(tmp_path, photos)
    first = submit(work, slurm, "--hold", "--array=1-4", "--cpus-per-task=1")
    second = submit(work, slurm, "--hold", "--array=0-3", "--cpus-per-task=1")
    sh(["scontrol", "release", first, second], slurm)
    wait_for([first, second], slurm)
    print(f"slurm: arrays {first} (--array=1-4) and {second} (--array=0-3) over the same {len(photos)} photos")
    for job in (first, second):
        assert_completed(report(job, slurm), 4)
    split = []
    for job in (first, second):
        split.append(check_outputs(work, photos, read_records(sorted((work / "results").glob(f"crop-{job}-*.jsonl")))))
    records = read_records(sorted((work / "results").glob("crop-*.jsonl")))
    written, skipped = check_outputs(work, photos, records, runs_per_photo=2)
    print(f"  crops written/skipped: array {first} {split[0][0]}/{split[0][1]}, array {second} "
          f"{split[1][0]}/{split[1][1]}; each crop written once ({written}), no temp file")
    assert (written, skipped) == (2 * len(photos), 2 * len(photos))


# ---- GNU parallel and Kubernetes ----------------------------------------------------------

def test_gnu_parallel_recipe(tmp_path, photos):
    require(shutil.which("parallel") is not None, "GNU parallel is not installed (apt-get install parallel)")
    work = job_folder(tmp_path, photos)
    shutil.rmtree(work / "results")  # the recipe makes it
    r = subprocess.run(["sh", "-c", parallel_commands()], cwd=work, env=job_env(), capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, f"parallel: {r.returncode} tasks failed\n{r.stderr}"
    records = read_records(sorted((work / "results").glob("crop-*.jsonl")))
    assert len(list((work / "results").glob("crop-*.jsonl"))) == 4
    written, skipped = check_outputs(work, photos, records)
    print(f"parallel: 4 tasks, {len(records)} records, {written} crops written, {skipped} skipped, no temp file")


def test_kubernetes_index_arithmetic_and_command(tmp_path, photos):
    """Runs the indexed Job's command for JOB_COMPLETION_INDEX = 0 .. completions-1, two
    at a time, and index 2 a second time at once (a replacement pod)."""
    completions, command = kubernetes_job()
    shards = []
    for index in range(completions):
        out = subprocess.run(["sh", "-c", 'echo "$((JOB_COMPLETION_INDEX + 1))"'],
                             env={"JOB_COMPLETION_INDEX": str(index)}, capture_output=True, text=True)
        shards.append(int(out.stdout))
    assert sorted(shards) == list(range(1, completions + 1))
    assert f'--shard "$((JOB_COMPLETION_INDEX + 1))/{completions}"' in command
    work = job_folder(tmp_path, photos)

    def pod(index, name):
        env = dict(job_env(), JOB_COMPLETION_INDEX=str(index), HOSTNAME=name)
        return subprocess.Popen(["sh", "-c", command], cwd=work, env=env, stderr=subprocess.PIPE, text=True)

    pods = [(i, "pod-a") for i in range(completions)] + [(2, "pod-b")]
    order = [pods[2], pods[-1]] + [p for p in pods[:-1] if p[0] != 2]  # the two pods of index 2 together
    for start in range(0, len(order), 2):
        running = [(f"{i}/{name}", pod(i, name)) for i, name in order[start:start + 2]]
        for name, proc in running:
            _, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, f"pod {name}: exit {proc.returncode}\n{err}"
    results = work / "results"
    records = read_records(sorted(results.glob("crop-*-pod-a.jsonl")))
    replacement = read_records([results / "crop-2-pod-b.jsonl"])
    assert len(replacement) == len(photos[2::completions]) == len(read_records([results / "crop-2-pod-a.jsonl"]))
    written, skipped = check_outputs(work, photos, records, also=replacement)
    print(f"kubernetes: {completions} indices (--shard 1/{completions} .. {completions}/{completions}), index 2 "
          f"twice at once: {written} crops written, {skipped} skipped, no temp file")
    assert (written, skipped) == (2 * len(photos), 2 * len(replacement))
