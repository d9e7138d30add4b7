"""reference_pipeline.py on generated images: crop geometry, JSON, dumps, and its rules."""
import json
import math

import cv2
import numpy as np
import pytest
import torch

import reference_pipeline as ref

# (name, width, height, subject centre): landscape, portrait, square, and one small
# enough to be upscaled (INTER_CUBIC path).
IMAGES = [
    ("landscape", 960, 540, (800, 270)),
    ("portrait", 360, 640, (180, 560)),
    ("square", 300, 300, (150, 150)),
    ("small", 120, 90, (30, 45)),
]


def draw_image(width, height, subject):
    """A dim noisy background with one bright disk: the subject a crop should keep."""
    rng = np.random.default_rng(width * height)
    image = rng.integers(20, 60, size=(height, width, 3), dtype=np.uint8)
    radius = max(6, min(width, height) // 10)
    cv2.circle(image, subject, radius, (240, 250, 255), thickness=-1)
    return image


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    folder = tmp_path_factory.mktemp("images")
    paths = {}
    for name, width, height, subject in IMAGES:
        paths[name] = folder / f"{name}.png"
        assert cv2.imwrite(str(paths[name]), draw_image(width, height, subject))
    return paths


def assert_box_fits(box, width, height, ratio):
    x, y, w, h = box
    assert 0 <= x and 0 <= y and x + w <= width and y + h <= height
    # The largest window: one side is the image's, the other is within 1 px of exact.
    assert (h == height and abs(w - height * ratio) <= 1) or (w == width and abs(h - width / ratio) <= 1)


def test_cli_prints_one_json_line_per_image_and_dumps_maps(run_script, tiny_model, images, tmp_path):
    dump = tmp_path / "dump"
    done = run_script("quality/reference_pipeline.py", "--model", tiny_model, "--ratio", "16:9",
                      "--dump-dir", dump, *images.values())
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == len(IMAGES)
    for line, (name, width, height, _) in zip(lines, IMAGES):
        result = json.loads(line)
        assert set(result) == {"image", "width", "height", "box", "peak", "grid", "heads"}
        assert result["image"] == str(images[name])
        assert (result["width"], result["height"], result["heads"]) == (width, height, 3)
        assert_box_fits(result["box"], width, height, 16 / 9)
        scale = 480 / min(width, height)
        grid_h = math.floor(height * scale + 0.5) // 16
        grid_w = math.floor(width * scale + 0.5) // 16
        assert result["grid"] == [grid_h, grid_w]
        assert 0 <= result["peak"][0] < grid_w * 16 and 0 <= result["peak"][1] < grid_h * 16
        heads = np.fromfile(dump / f"{name}.heads.f32", dtype="<f4")
        score = np.fromfile(dump / f"{name}.score.f32", dtype="<f4")
        assert heads.size == 3 * grid_h * grid_w
        assert score.size == (grid_h * 16) * (grid_w * 16)
        assert score.reshape(grid_h * 16, grid_w * 16).argmax() == (
            result["peak"][1] * grid_w * 16 + result["peak"][0])


@pytest.mark.parametrize("ratio_text,ratio", [("1:1", 1.0), ("4x5", 0.8), ("1.91", 1.91), ("9:16", 9 / 16)])
def test_boxes_have_the_requested_ratio(tiny_model, images, ratio_text, ratio, capsys):
    paths = [str(p) for p in images.values()]
    assert ref.main(["--model", str(tiny_model), "--ratio", ratio_text, "--input-size", "224", *paths]) == 0
    for line, (_, width, height, _) in zip(capsys.readouterr().out.splitlines(), IMAGES):
        assert_box_fits(json.loads(line)["box"], width, height, ratio)


class BrightnessAttention(torch.nn.Module):
    """A stand-in model whose 'attention' is each patch's brightness: lets the tests
    check that the crop follows the salient patch without real DINO weights."""

    def forward(self, x):
        brightness = torch.nn.functional.avg_pool2d(x.mean(dim=1, keepdim=True), 16)
        attn = torch.softmax(4.0 * brightness.flatten(1), dim=1).reshape(brightness.shape)
        return attn.expand(-1, 2, -1, -1).contiguous()


@pytest.mark.parametrize("threshold", ["0.3", "0"])
def test_crop_keeps_the_bright_subject(images, tmp_path, threshold, capsys):
    model = tmp_path / "brightness.pt"
    torch.jit.save(torch.jit.script(BrightnessAttention()), str(model))
    paths = [str(images[name]) for name in ("landscape", "portrait")]
    assert ref.main(["--model", str(model), "--ratio", "1:1", "--head-threshold", threshold, *paths]) == 0
    results = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    for result, (_, _, _, (sx, sy)) in zip(results, IMAGES):
        x, y, w, h = result["box"]
        assert x <= sx < x + w and y <= sy < y + h


def test_unreadable_image_is_reported_and_the_rest_still_run(tiny_model, images, tmp_path, capsys):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg")
    assert ref.main(["--model", str(tiny_model), str(broken), str(images["square"])]) == 1
    captured = capsys.readouterr()
    assert f"error: {broken}: cannot decode image" in captured.err
    assert len(captured.out.splitlines()) == 1


def test_missing_model_is_a_setup_error(images, tmp_path, capsys):
    assert ref.main(["--model", str(tmp_path / "none.pt"), str(images["square"])]) == 2
    assert "cannot load model" in capsys.readouterr().err


def test_combine_heads_counts_heads_keeping_each_patch():
    heads = np.array([[[0.05, 0.15, 0.8]], [[0.6, 0.3, 0.1]]], dtype=np.float32)
    # Each head keeps its most attended patches until they hold the threshold share.
    assert ref.combine_heads(heads, 0.5).tolist() == [[1.0, 0.0, 1.0]]
    assert ref.combine_heads(heads, 0.85).tolist() == [[1.0, 2.0, 1.0]]
    np.testing.assert_allclose(ref.combine_heads(heads, 0), [[0.65, 0.45, 0.9]], rtol=1e-6)


def test_box_blur_is_a_zero_padded_window_sum():
    score = np.random.default_rng(1).random((23, 37)).astype(np.float32)
    expected = cv2.boxFilter(score.astype(np.float64), -1, (5, 5), normalize=False,
                             borderType=cv2.BORDER_CONSTANT)
    np.testing.assert_allclose(ref.box_blur(score, 5), expected, rtol=1e-6)
    assert ref.box_blur(score, 1).tolist() == score.tolist()


def test_blur_window_scales_with_the_short_side_and_is_odd():
    assert ref.blur_window(30, 720, 480) == 31
    assert ref.blur_window(30, 240, 400) == 15
    assert ref.blur_window(30, 960, 1280) == 61
    assert ref.blur_window(0, 480, 480) == 1


def test_crop_box_is_clamped_inside_the_image():
    assert ref.crop_box(1000, 500, 1.0, 990.0, 250.0) == [500, 0, 500, 500]
    assert ref.crop_box(1000, 500, 1.0, 3.0, 250.0) == [0, 0, 500, 500]
    assert ref.crop_box(400, 1000, 16 / 9, 200.0, 1000.0) == [0, 775, 400, 225]


@pytest.mark.parametrize("text", ["0:1", "16:-9", "abc", "1:0", ""])
def test_bad_ratio_is_rejected(text):
    with pytest.raises(ValueError):
        ref.parse_ratio(text)
