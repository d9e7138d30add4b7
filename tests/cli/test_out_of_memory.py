"""Out of memory in a batch (issue 25), on the CPU through the allocator's test seam
SMARTCROP_TEST_ALLOCATION_LIMIT_MB (src/model/tensor_memory.hpp), which refuses larger
tensors with Torch's out-of-memory error as a full GPU does: the batch is split and tried
again, every photo that fits is written with the boxes of an unconstrained run, the log
says so once, and a photo that does not fit even alone fails with its reason (exit 1)."""
import json
import os
import re

import pytest

from conftest import run

pytestmark = pytest.mark.dino


@pytest.fixture
def photos(photo):
    # 12 photos of one shape (480x720 at the model: 1351 tokens, a 7.3 MB attention array
    # per photo in fp32) and a panorama (480x1440: 2701 tokens, 29 MB, over the limit alone).
    same = [photo(f"p{i:02d}.jpg", 900, 600, cx=150 + 50 * i, cy=300) for i in range(12)]
    return same, photo("pano.jpg", 1500, 500, cx=300, cy=250)


def crops(stdout):
    return {r["input"]: [c["box"] for c in r.get("crops", [])] for r in map(json.loads, stdout.splitlines())}


def test_a_batch_that_runs_out_of_memory_is_split_and_its_photos_written(photos, tiny_model, tmp_path):
    same, pano = photos
    common = [*same, pano, "--backend", "dino", "--model", tiny_model, "--device", "cpu", "--precision", "fp32",
              "--batch-size", "8", "--ratio", "16:9,1:1", "--json"]
    free = run(*common, "-o", f"{tmp_path / 'free'}/")
    assert free.returncode == 0, free.stderr
    # 10 MB: one photo's attention fits (7.3 MB), two do not, the panorama not even alone.
    limited = run(*common, "-o", f"{tmp_path / 'limited'}/", env={"SMARTCROP_TEST_ALLOCATION_LIMIT_MB": "10"})
    assert limited.returncode == 1, limited.stderr
    lines = limited.stderr.splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert errors == [f"error: {pano}: out of memory on cpu even alone at 1440x480 (out of memory: 29181604 bytes "
                      "refused (test seam SMARTCROP_TEST_ALLOCATION_LIMIT_MB=10))"], limited.stderr
    splits = [line for line in lines if "ran out of memory" in line]
    assert splits, limited.stderr
    assert all(re.fullmatch(r"warning: cpu ran out of memory on a batch of \d+ at (720x480|1440x480) \(out of memory: "
                            r"\d+ bytes refused \(test seam SMARTCROP_TEST_ALLOCATION_LIMIT_MB=10\)\): .*", line)
               for line in splits), splits
    assert any("at 720x480" in line and line.endswith("split it; batches of 1 fit, the most at that size from now on")
               for line in splits), splits
    # Every photo that fits: written, with the boxes of the unconstrained run.
    written = sorted(p.name for p in (tmp_path / "limited").iterdir())
    assert written == sorted(f"{p.stem}_{r}.jpg" for p in same for r in ("16x9", "1x1"))
    expected = {k: v for k, v in crops(free.stdout).items() if k != str(pano)}
    got = {k: v for k, v in crops(limited.stdout).items() if v}
    assert got == expected


def test_without_the_seam_nothing_is_refused(photos, tiny_model, tmp_path):
    # The seam is off unless asked for: the same run with the variable unset writes everything.
    same, pano = photos
    assert "SMARTCROP_TEST_ALLOCATION_LIMIT_MB" not in os.environ
    done = run(*same, pano, "--backend", "dino", "--model", tiny_model, "--device", "cpu", "--precision", "fp32",
               "--batch-size", "8", "--ratio", "1:1", "-o", f"{tmp_path}/")
    assert done.returncode == 0, done.stderr
    assert "ran out of memory" not in done.stderr
