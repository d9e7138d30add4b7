"""The learned window's loop on a generated set: the binary's maps -> features ->
fit -> models file -> the binary picks the same windows as the Python."""
import json
import subprocess

import cv2
import numpy as np
import pytest

from conftest import BIN, SOURCE_DIR, run, subject_photo

FITTER = SOURCE_DIR / "scripts" / "quality" / "fit_window_model.py"


def largest_box_on(W, H, aw, ah, cx):
    """The largest aw:ah box, centred on column cx as far as the photo allows."""
    w, h = (round(H * aw / ah), H) if W / H > aw / ah else (W, round(W * ah / aw))
    x = int(min(max(round(cx - w / 2), 0), W - w))
    return [x, 0, w, h]


def iou(a, b):
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


@pytest.fixture(scope="module")
def generated_set(tmp_path_factory):
    """16 photos, a subject left or right of centre, each 'human' box the 3:4 box on it."""
    root = tmp_path_factory.mktemp("fitset")
    (root / "images" / "gen").mkdir(parents=True)
    rng = np.random.default_rng(3)
    items, lines = [], []
    for i in range(16):
        W, H = 320, 240
        cx = float(rng.choice([60, 90, 230, 260]) + rng.integers(-10, 10))
        path = root / "images" / "gen" / ("p%02d.png" % i)
        cv2.imwrite(str(path), subject_photo(W, H, int(cx), int(rng.integers(90, 150)), 28, seed=i))
        box = largest_box_on(W, H, 3, 4, cx)
        items.append({"id": "gen/p%02d" % i, "dataset": "fcdb", "split": "train", "image": "images/gen/p%02d.png" % i,
                      "width": W, "height": H, "boxes": [box]})
        lines.append("%s\t%d\t%d\n" % (path, box[2], box[3]))
    (root / "annotations.json").write_text(json.dumps({"items": items}))
    (root / "requests.tsv").write_text("".join(lines))
    return root, items


def fit(root, out):
    command = ["/usr/bin/python3", str(FITTER), "--data", str(root), "--bin", str(BIN), "--maps", str(root / "maps"),
               "--variant", "shares+cuts", "--out", str(out)]
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


def test_fit_writes_the_same_file_and_the_binary_picks_the_python_windows(generated_set, tmp_path):
    root, items = generated_set
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    done = fit(root, first)
    assert done.returncode == 0, done.stderr
    assert fit(root, second).returncode == 0
    assert first.read_bytes() == second.read_bytes()  # deterministic: re-fitting re-creates the file
    model = json.loads(first.read_text())
    assert model["provenance"]["photos"] == 16
    assert len(model["features"]) == len(model["weights"]) == len(model["scales"])

    requests = root / "requests.tsv"
    cpp = run("--quiet", "--backend", "saliency", "--strategy", "learned", "--window-model", first,
              "--requests", requests)
    assert cpp.returncode == 0, cpp.stderr
    py = subprocess.run(["/usr/bin/python3", str(FITTER), "--data", str(root), "--maps", str(root / "maps"),
                         "--out", str(first), "--predict", str(requests)], capture_output=True, text=True)
    assert py.returncode == 0, py.stderr
    assert cpp.stdout.split("\n") == py.stdout.split("\n")

    # The fitted model follows the subject: better than the centre crop on these boxes.
    chosen = [[int(v) for v in line.split()] for line in cpp.stdout.splitlines()]
    centre = [largest_box_on(320, 240, 3, 4, 160) for _ in items]
    learned_iou = np.mean([iou(c, it["boxes"][0]) for c, it in zip(chosen, items)])
    centre_iou = np.mean([iou(c, it["boxes"][0]) for c, it in zip(centre, items)])
    assert learned_iou > centre_iou + 0.15, (learned_iou, centre_iou)


def test_missing_window_model_is_a_setup_error(tmp_path):
    photo = tmp_path / "a.png"
    cv2.imwrite(str(photo), subject_photo(200, 150, 60, 70, 20))
    missing = tmp_path / "nope.json"
    done = run("--backend", "saliency", "--strategy", "learned", "--window-model", missing, "--print-box", photo)
    assert done.returncode == 2
    assert "nope.json" in done.stderr and "window model" in done.stderr


def test_bad_window_model_names_the_file(tmp_path):
    photo = tmp_path / "a.png"
    cv2.imwrite(str(photo), subject_photo(200, 150, 60, 70, 20))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"features": ["share:fine", "offset_q"], "weights": [1, 2], "scales": [1, 1]}))
    done = run("--backend", "saliency", "--strategy", "learned", "--window-model", bad, "--print-box", photo)
    assert done.returncode == 2
    assert "bad.json" in done.stderr and "offset_q" in done.stderr
