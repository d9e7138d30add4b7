"""Fused attention (sdpa_blocks, torch >= 2.0): blocks 1-11 through
scaled_dot_product_attention give the plain export's attention to float rounding,
the file says it needs torch >= 2.0, and a torch without SDPA cannot ask for it."""
import pytest
import torch
from conftest import read_metadata

import export_model
from dino_vit import OPTIMIZATIONS, SdpaAttention, build_vit, cls_attention_map, has_sdpa

needs_sdpa = pytest.mark.skipif(not has_sdpa(), reason=f"torch {torch.__version__} has no "
                                "scaled_dot_product_attention (needs >= 2.0; Debian 13's python3-torch has it)")
# Float rounding: SDPA's kernel sums in another order than softmax(q k^T) v.
TOLERANCE = 1e-5
SHAPES = [(224, 224), (96, 160), (160, 96), (64, 256), (16, 48)]


def attention(module, x):
    with torch.inference_mode():
        return module(x)


@needs_sdpa
@pytest.mark.parametrize("arch", ["tiny", "vit_small"])
@pytest.mark.parametrize("height,width", SHAPES)
def test_sdpa_export_equals_plain_attention(arch, height, width, tmp_path):
    plain_path, sdpa_path = tmp_path / "plain.pt", tmp_path / "sdpa.pt"
    common = ["--arch", arch, "--random-init", "--seed", "11"]
    assert export_model.main([*common, "-o", str(plain_path), "--plain"]) == 0
    assert export_model.main([*common, "-o", str(sdpa_path), "--optimizations", "sdpa_blocks"]) == 0
    plain, fused = torch.jit.load(str(plain_path)), torch.jit.load(str(sdpa_path))
    # Every block but the last attends through SDPA; the last keeps its CLS row.
    blocks = [block for _, block in fused.vit.blocks.named_children()]
    assert all("scaled_dot_product_attention" in block.attn.code for block in blocks[:-1])
    assert "scaled_dot_product_attention" not in blocks[-1].attn.code
    x = torch.randn(2, 3, height, width, generator=torch.Generator().manual_seed(height + width))
    expected, got = attention(plain, x), attention(fused, x)
    assert got.shape == expected.shape == (2, plain.num_heads, height // 16, width // 16)
    assert (got - expected).abs().max().item() <= TOLERANCE
    assert not torch.equal(got, expected) or arch == "tiny"  # really another computation (tiny: one fused block)


@needs_sdpa
def test_sdpa_file_records_the_torch_it_needs(tmp_path):
    fused = tmp_path / "fused.pt"
    assert export_model.main(["--arch", "tiny", "--random-init", "-o", str(fused),
                              "--optimizations", ",".join(OPTIMIZATIONS + ("sdpa_blocks",))]) == 0
    meta = read_metadata(fused)
    assert "sdpa_blocks" in meta["optimizations"] and "sdpa_blocks" not in OPTIMIZATIONS
    assert meta["min_torch"] == "2.0"
    plain = tmp_path / "plain.pt"
    assert export_model.main(["--arch", "tiny", "--random-init", "-o", str(plain), "--plain"]) == 0
    assert read_metadata(plain)["min_torch"] == "1.13"


@needs_sdpa
def test_sdpa_with_every_default_saving_equals_plain():
    torch.manual_seed(3)
    vit = build_vit("vit_small")
    plain, _ = cls_attention_map(vit, ())
    fused, applied = cls_attention_map(vit, OPTIMIZATIONS + ("sdpa_blocks",))
    assert "sdpa_blocks" in applied and "fold_scale" in applied
    # The SDPA blocks keep their weights unscaled (SDPA scales); the last block is folded.
    assert all(isinstance(b.attn, SdpaAttention) and not b.attn.scale_folded for b in fused.vit.blocks[:-1])
    assert fused.vit.blocks[-1].attn.scale_folded
    x = torch.randn(1, 3, 96, 128)
    assert (attention(torch.jit.script(fused), x) - attention(torch.jit.script(plain), x)).abs().max() <= TOLERANCE


@pytest.mark.skipif(has_sdpa(), reason="checks a torch without SDPA (< 2.0, Debian 12's 1.13)")
def test_torch_without_sdpa_refuses_to_export_it(tmp_path, capsys):
    assert "sdpa_blocks" not in OPTIMIZATIONS
    with pytest.raises(SystemExit):
        export_model.main(["--arch", "tiny", "--random-init", "-o", str(tmp_path / "m.pt"),
                           "--optimizations", "sdpa_blocks"])
    assert "sdpa_blocks needs torch >= 2.0" in capsys.readouterr().err
