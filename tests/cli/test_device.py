"""--device and --batch-size (issue 20): batches give the boxes of one photo at a
time, on photos of mixed shapes; a LibTorch without CUDA refuses --device cuda in
one line (exit 2) and --device auto falls back to the CPU with its log line; the
built-in backends ignore both and say so under -v. (The CUDA side itself runs on a
GPU machine: scripts/gpu/device_run.sh.)"""
import json

import pytest

from conftest import run

# Mixed shapes in the order a batch run meets them: 3:2 and 4:3 landscapes, a
# portrait, a square and a panorama, some repeated, so that a batch of one shape
# fills while photos of other shapes wait in theirs.
SHAPES = [(900, 600), (800, 600), (600, 900), (900, 600), (700, 700), (1500, 500), (800, 600), (900, 600),
          (600, 900), (900, 600), (800, 600), (700, 700)]


def boxes(stdout):
    return [(r["input"], [(c["ratio"], c["box"]) for c in r["crops"]]) for r in map(json.loads, stdout.splitlines())]


@pytest.fixture
def mixed_photos(photo):
    return [photo(f"p{i:02d}.jpg", w, h, cx=w // 3 + 17 * i, cy=h // 2 + 9 * i) for i, (w, h) in enumerate(SHAPES)]


@pytest.mark.dino
@pytest.mark.parametrize("model", ["tiny_model", "full_model"])
def test_batches_give_the_boxes_of_one_photo_at_a_time(mixed_photos, model, request):
    model = request.getfixturevalue(model)
    common = [*mixed_photos, "--backend", "dino", "--model", model, "--device", "cpu", "--precision", "fp32",
              "--ratio", "16:9,1:1", "--json", "-v"]
    single = run(*common, "--batch-size", "1")
    batched = run(*common, "--batch-size", "4")
    assert single.returncode == 0, single.stderr
    assert batched.returncode == 0, batched.stderr
    assert "batches of 1" in single.stderr and "batches of 4" in batched.stderr
    assert "feeding batches of up to 4" in batched.stderr
    assert len(boxes(batched.stdout)) == len(SHAPES)
    assert boxes(batched.stdout) == boxes(single.stdout)


@pytest.mark.dino
def test_batches_keep_the_input_order_and_the_written_crops(mixed_photos, tiny_model, tmp_path):
    out = tmp_path / "out"
    done = run(*mixed_photos, "--backend", "dino", "--model", tiny_model, "--device", "cpu", "--batch-size", "5",
               "--ratio", "1:1", "-o", f"{out}/", "--json")
    assert done.returncode == 0, done.stderr
    assert [r["input"] for r in map(json.loads, done.stdout.splitlines())] == [str(p) for p in mixed_photos]
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{p.stem}_1x1.jpg" for p in mixed_photos)


@pytest.mark.dino
@pytest.mark.parametrize("device", ["cuda", "cuda:0", "cuda:1"])
def test_cuda_without_cuda_is_a_setup_error_saying_why(photo, tiny_model, tmp_path, device):
    done = run(photo(), "--backend", "dino", "--model", tiny_model, "--device", device, "-o", tmp_path / "o.jpg")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert f"--device {device}: this LibTorch (" in lines[0]
    assert "has no CUDA (a CPU-only build)" in lines[0] and "--device cpu" in lines[0]
    assert not (tmp_path / "o.jpg").exists()


@pytest.mark.dino
def test_auto_falls_back_to_the_cpu_with_its_log_line(photo, tiny_model, tmp_path):
    done = run(photo(), "--backend", "dino", "--model", tiny_model, "-o", tmp_path / "o.jpg", "-v")
    assert done.returncode == 0, done.stderr
    notes = [line for line in done.stderr.splitlines() if "device" in line and "--device auto" in line]
    assert len(notes) == 1, done.stderr
    assert "device: cpu (--device auto: this LibTorch (" in notes[0] and "has no CUDA)" in notes[0]
    assert "on cpu, batches of 1" in done.stderr  # the CPU's default batch
    assert (tmp_path / "o.jpg").exists()


@pytest.mark.parametrize("backend", ["saliency", "center"])
def test_builtin_backends_ignore_device_and_say_so(photo, tmp_path, backend):
    done = run(photo(), "--backend", backend, "--device", "cuda", "--batch-size", "8", "-o", tmp_path / "o.jpg", "-v")
    assert done.returncode == 0, done.stderr
    assert f"--device cuda and --batch-size 8 ignored: the {backend} backend runs on the CPU" in done.stderr
    quiet = run(photo(), "--backend", backend, "--device", "cuda", "-o", tmp_path / "q.jpg", "--overwrite")
    assert quiet.returncode == 0 and "ignored" not in quiet.stderr


@pytest.mark.parametrize("device", ["gpu", "cuda:", "cuda:x", "cuda0"])
def test_bad_device_is_a_usage_error(photo, tmp_path, device):
    done = run(photo(), "--device", device, "-o", tmp_path / "o.jpg")
    assert done.returncode != 0 and "expected auto, cpu, cuda or cuda:N" in done.stderr


@pytest.mark.dino
def test_fp16_is_for_gpus(photo, tiny_model, tmp_path):
    done = run(photo(), "--backend", "dino", "--model", tiny_model, "--device", "cpu", "--precision", "fp16",
               "-o", tmp_path / "o.jpg")
    assert done.returncode == 2 and "--precision fp16 is for GPUs" in done.stderr


@pytest.mark.dino
def test_a_file_needing_a_newer_libtorch_is_refused_in_one_line(photo, tiny_model, tmp_path):
    # What an SDPA export (min_torch 2.0) meets on Debian 12's LibTorch 1.13, made
    # here for any runtime: the same file, claiming a LibTorch no one has yet.
    torch = pytest.importorskip("torch")
    extra = {"smartcrop_model.json": ""}
    module = torch.jit.load(str(tiny_model), _extra_files=extra)
    meta = json.loads(extra["smartcrop_model.json"])
    meta.update(min_torch="99.0", optimizations=meta["optimizations"] + ["sdpa_blocks"])
    newer = tmp_path / "newer.pt"
    torch.jit.save(module, str(newer), _extra_files={"smartcrop_model.json": json.dumps(meta)})
    done = run(photo(), "--backend", "dino", "--model", newer, "-o", tmp_path / "o.jpg")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0, done.stderr
    assert f"{newer}: this model file needs LibTorch >= 99.0 and this smartcrop's DINO plugin runs LibTorch " \
        in done.stderr
    assert not (tmp_path / "o.jpg").exists()
    # Without the claim the same file loads.
    meta["min_torch"] = "1.13"
    torch.jit.save(module, str(newer), _extra_files={"smartcrop_model.json": json.dumps(meta)})
    assert run(photo(), "--backend", "dino", "--model", newer, "-o", tmp_path / "o.jpg").returncode == 0


@pytest.mark.dino
def test_a_file_exported_for_a_gpu_run_on_the_cpu_says_so_in_one_line(photo, tmp_path):
    from conftest import MODELS
    model = MODELS / "target_gpu.pt"
    done = run(photo(), "--backend", "dino", "--model", model, "--device", "cpu", "-o", tmp_path / "o.jpg")
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if "was exported for" in line]
    assert lines == [f"warning: model {model} was exported for a GPU (--target gpu, fused attention): on the CPU the "
                     "default export (--target cpu) is the one whose bf16 crops are tested against fp32"], done.stderr
    assert (tmp_path / "o.jpg").exists()


@pytest.mark.dino
def test_the_cpus_own_file_on_the_cpu_gives_no_such_warning(photo, tiny_model, tmp_path):
    done = run(photo(), "--backend", "dino", "--model", tiny_model, "--device", "cpu", "-o", tmp_path / "o.jpg")
    assert done.returncode == 0, done.stderr
    assert "was exported for" not in done.stderr


@pytest.mark.dino
def test_tf32_is_for_gpus(photo, tiny_model, tmp_path):
    done = run(photo(), "--backend", "dino", "--model", tiny_model, "--device", "cpu", "--precision", "tf32",
               "-o", tmp_path / "o.jpg")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == ["error: --precision tf32 is for GPUs: on the CPU use bf16 or fp32"]
    assert not (tmp_path / "o.jpg").exists()
