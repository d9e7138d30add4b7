"""What a user sees from `smartcrop in.jpg --ratio 16:9 -o out.jpg`: right ratio,
subject kept, and one clear line for each kind of bad input."""
import json

import cv2
import pytest

from conftest import run


@pytest.mark.parametrize("ratio,expected", [("16:9", 16 / 9), ("4x5", 4 / 5), ("1.91", 1.91), ("1:1", 1.0)])
@pytest.mark.parametrize("backend", ["saliency", pytest.param("dino", marks=pytest.mark.dino)])
def test_writes_a_jpeg_of_exactly_the_requested_ratio(photo, tmp_path, tiny_model, ratio, expected, backend):
    src = photo(width=1500, height=1000)
    out = tmp_path / "out.jpg"
    done = run(src, "--ratio", ratio, "-o", out, "--backend", backend, "--model", tiny_model)
    assert done.returncode == 0, done.stderr
    crop = cv2.imread(str(out))
    assert crop is not None
    h, w = crop.shape[:2]
    assert abs(w - h * expected) <= 1.0, (w, h)
    assert w == 1500 or h == 1000, "crop is not the largest window of that ratio"


def test_crop_is_cut_from_the_full_resolution_original(photo, tmp_path):
    src = photo(width=3000, height=2000)
    done = run(src, "--ratio", "1:1", "-o", tmp_path / "sq.png", "--backend", "saliency")
    assert done.returncode == 0, done.stderr
    assert cv2.imread(str(tmp_path / "sq.png")).shape[:2] == (2000, 2000)


def test_subject_off_centre_is_inside_the_crop(photo, tmp_path):
    # A wide photo with the subject near the right edge: a centre 1:1 crop would miss it.
    src = photo(width=2400, height=800, cx=2150, cy=400, radius=120)
    done = run(src, "--ratio", "1:1", "--print-box", "--backend", "saliency")
    assert done.returncode == 0, done.stderr
    x, y, w, h = map(int, done.stdout.split())
    assert (w, h) == (800, 800)
    assert x <= 2150 - 120 and 2150 + 120 <= x + w, (x, w)


def test_print_box_is_in_original_pixels_and_json_matches(photo):
    src = photo(width=1000, height=1000, cx=300, cy=700)
    box = run(src, "--ratio", "16:9", "--print-box", "--backend", "saliency")
    record = run(src, "--ratio", "16:9", "--json", "--backend", "saliency")
    assert box.returncode == 0 and record.returncode == 0
    parsed = json.loads(record.stdout.splitlines()[0])
    assert parsed["crops"][0]["box"] == [int(v) for v in box.stdout.split()]
    assert parsed["width"] == 1000 and parsed["height"] == 1000


def test_missing_input_is_named_and_exits_nonzero(tmp_path):
    done = run(tmp_path / "nope.jpg", "-o", tmp_path / "out.jpg", "--backend", "saliency")
    assert done.returncode == 1
    assert "nope.jpg" in done.stderr and "no such file" in done.stderr
    assert not (tmp_path / "out.jpg").exists()


def test_file_that_is_not_an_image_is_named(tmp_path):
    bad = tmp_path / "notes.jpg"
    bad.write_text("hello, I am text\n")
    done = run(bad, "-o", tmp_path / "out.jpg", "--backend", "saliency")
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "notes.jpg" in errors[0] and "decode" in errors[0]
    assert not (tmp_path / "out.jpg").exists()


@pytest.mark.parametrize("ratio", ["16:0", "-1:2", "abc", "0", "16:9:1"])
def test_bad_ratio_is_a_usage_error_naming_it(photo, tmp_path, ratio):
    done = run(photo(), "--ratio", ratio, "-o", tmp_path / "out.jpg", "--backend", "saliency")
    assert done.returncode not in (0, 1, 2)
    assert ratio in done.stderr
    assert not (tmp_path / "out.jpg").exists()


@pytest.mark.dino
def test_missing_model_says_how_to_get_one(photo, tmp_path):
    done = run(photo(), "-o", tmp_path / "out.jpg", "--backend", "dino", "--model", tmp_path / "none.pt")
    assert done.returncode == 2
    assert "none.pt" in done.stderr and "export_model.py" in done.stderr
    assert not (tmp_path / "out.jpg").exists()


@pytest.mark.dino
def test_corrupt_model_is_named(photo, tmp_path):
    model = tmp_path / "broken.pt"
    model.write_bytes(b"PK\x03\x04 definitely not a model")
    done = run(photo(), "-o", tmp_path / "out.jpg", "--backend", "dino", "--model", model)
    assert done.returncode == 2
    assert "broken.pt" in done.stderr and "cannot load model" in done.stderr
    assert len([l for l in done.stderr.splitlines() if l.startswith("error:")]) == 1


@pytest.mark.dino
def test_random_weights_are_announced_loudly(photo, tmp_path, tiny_model):
    done = run(photo(), "-o", tmp_path / "out.jpg", "--backend", "dino", "--model", tiny_model)
    assert done.returncode == 0, done.stderr
    assert "RANDOM" in done.stderr and "warning" in done.stderr


def test_unwritable_output_folder_is_named(photo, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    done = run(photo("a.jpg"), photo("b.jpg"), "-o", blocker / "sub", "--backend", "saliency")
    assert done.returncode == 2
    assert str(blocker / "sub") in done.stderr


def test_one_bad_file_does_not_stop_the_others(photo, tmp_path):
    good1, good2 = photo("one.jpg"), photo("two.jpg")
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 truncated")
    out = tmp_path / "out"
    done = run(good1, bad, good2, "--ratio", "16:9", "-o", out, "--backend", "saliency")
    assert done.returncode == 1
    assert "bad.jpg" in done.stderr
    written = sorted(p.name for p in out.iterdir())
    assert len(written) == 2 and all(not n.startswith(".") for n in written), written
    assert any("one" in n for n in written) and any("two" in n for n in written)


@pytest.mark.dino
def test_model_is_loaded_once_for_all_inputs(photo, tmp_path, tiny_model):
    inputs = [photo(f"p{i}.jpg") for i in range(3)]
    done = run(*inputs, "-o", tmp_path / "out", "--backend", "dino", "--model", tiny_model, "-v")
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("loaded model") == 1
