"""What a new user reads (issue 19): --help says what runs here, the summary counts
in words a person would use, and the no-model warning says how to silence it."""
import pytest

from conftest import WITH_DINO, no_default_model, run


def help_line(env=None):
    done = run("--help", env=env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("smartcrop: content-aware cropping, by DINO ViT attention or a built-in saliency")
    return lines[1]


@no_default_model
def test_help_says_auto_runs_the_builtin_saliency_without_a_model():
    # A build tree names the exporter of the source tree (an installed one: tests/cli/test_model_lookup.py).
    expected = ("no DINO model found (make one with: /usr/bin/python3 scripts/export_model.py; -v lists where it "
                "looks)" if WITH_DINO else "this build has no DINO support (-DSMARTCROP_WITH_DINO=OFF)")
    assert help_line() == f"Here --backend auto runs the built-in saliency: {expected}."


@pytest.mark.dino
def test_help_says_auto_runs_dino_with_the_model_it_found(tiny_model):
    assert help_line({"SMARTCROP_MODEL": str(tiny_model)}) == (
        f"Here --backend auto runs DINO attention, from the model {tiny_model} ($SMARTCROP_MODEL).")


def test_help_says_a_named_model_that_is_missing_stops_auto(tmp_path):
    missing = tmp_path / "none.pt"
    assert help_line({"SMARTCROP_MODEL": str(missing)}) == (
        f"Here --backend auto runs nothing: it must load the model {missing} ($SMARTCROP_MODEL), "
        "and there is no such file.")


def summary(stderr):
    lines = [line for line in stderr.splitlines() if line.startswith("summary: ")]
    assert len(lines) == 1, stderr
    return lines[0]


def test_summary_of_one_failed_photo_says_photo_and_gives_no_rate(tmp_path):
    bad = tmp_path / "notes.jpg"
    bad.write_text("not an image\n")
    done = run(bad, "-o", tmp_path / "out", "--backend", "saliency")
    assert done.returncode == 1
    line = summary(done.stderr)
    assert line.startswith("summary: 0 written, 0 skipped, 1 failed; 1 photo in ") and line.endswith(" s"), line
    assert "photos/s" not in line


def test_summary_of_photos_written_gives_their_rate(photo, tmp_path):
    first, second = photo("a.jpg"), photo("b.jpg")
    done = run(first, second, "-o", tmp_path / "out", "--backend", "saliency", "-r", "1:1")
    assert done.returncode == 0, done.stderr
    line = summary(done.stderr)
    assert line.startswith("summary: 2 written, 0 skipped, 0 failed; 2 photos in ") and line.endswith(" photos/s)")


@no_default_model
def test_no_model_warning_says_how_to_silence_it(photo, tmp_path):
    done = run(photo(), "--json")
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning: no DINO model")]
    assert len(warnings) == 1 and "--backend saliency" in warnings[0], done.stderr
    quiet = run(photo(), "--json", "--backend", "saliency")
    assert quiet.returncode == 0 and "no DINO model" not in quiet.stderr
