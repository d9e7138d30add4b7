"""--target cpu|gpu (issue 25): the default file is the CPU's (one attention head at a time,
loads in LibTorch 1.13); --target gpu fuses the attention for a GPU and needs torch >= 2.0.
The file says which in its metadata ("target"), which the plugin checks against the device."""
import pytest
import torch
from conftest import read_metadata

import export_model
from dino_vit import GPU_OPTIMIZATIONS, OPTIMIZATIONS, has_sdpa

needs_sdpa = pytest.mark.skipif(not has_sdpa(), reason=f"torch {torch.__version__} has no "
                                "scaled_dot_product_attention (needs >= 2.0; Debian 13's python3-torch has it)")


def test_the_default_file_is_the_cpus(tiny_model):
    meta = read_metadata(tiny_model)
    assert meta["target"] == "cpu"
    assert meta["optimizations"] == list(OPTIMIZATIONS) and "attention_per_head" in meta["optimizations"]
    assert meta["min_torch"] == "1.13"


@pytest.mark.parametrize("chosen, target", [("", "cpu"), ("fold_scale,sdpa_blocks", "gpu"),
                                            ("attention_per_head", "cpu")])
def test_a_file_exported_with_chosen_savings_records_what_it_is_shaped_for(chosen, target):
    applied = tuple(name for name in chosen.split(",") if name)
    assert export_model.target_of(applied) == target


def test_gpu_target_excludes_plain_and_explicit_savings(run_script, tmp_path):
    for extra in (["--plain"], ["--optimizations", "fold_scale"]):
        done = run_script("export_model.py", "--arch", "tiny", "--random-init", "--target", "gpu", *extra,
                          "-o", tmp_path / "m.pt")
        assert done.returncode == 2
        assert "--target gpu and --plain/--optimizations exclude each other" in done.stderr
        assert not (tmp_path / "m.pt").exists()


@pytest.mark.skipif(has_sdpa(), reason="this torch has SDPA: the GPU file can be exported")
def test_gpu_target_under_a_torch_without_sdpa_says_what_it_needs(run_script, tmp_path):
    done = run_script("export_model.py", "--arch", "tiny", "--random-init", "--target", "gpu", "-o", tmp_path / "m.pt")
    assert done.returncode == 2
    assert f"--target gpu needs torch >= 2.0 (this is {torch.__version__})" in done.stderr
    assert not (tmp_path / "m.pt").exists()


@needs_sdpa
def test_gpu_target_fuses_the_attention_and_needs_torch_2(tmp_path):
    path = tmp_path / "gpu.pt"
    assert export_model.main(["--arch", "tiny", "--random-init", "--target", "gpu", "-o", str(path)]) == 0
    meta = read_metadata(path)
    assert meta["target"] == "gpu" and meta["optimizations"] == list(GPU_OPTIMIZATIONS)
    assert "attention_per_head" not in meta["optimizations"]
    assert meta["min_torch"] == "2.0"
    plain = tmp_path / "plain.pt"
    assert export_model.main(["--arch", "tiny", "--random-init", "--plain", "-o", str(plain)]) == 0
    x = torch.randn(2, 3, 96, 160, generator=torch.Generator().manual_seed(5))
    with torch.inference_mode():
        got, expected = torch.jit.load(str(path))(x), torch.jit.load(str(plain))(x)
    assert (got - expected).abs().max().item() <= 1e-5
