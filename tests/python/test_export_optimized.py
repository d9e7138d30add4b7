"""The default export's savings (scale folded into the queries, CLS-only last block,
attention one head at a time) give the plain export's attention, and official
checkpoints still load strictly."""
import pytest
import torch
from conftest import read_metadata

import export_model
from dino_vit import OPTIMIZATIONS, build_vit, cls_attention_map

# Square, landscape, portrait, a long strip and a single patch row.
SHAPES = [(224, 224), (96, 160), (160, 96), (64, 256), (16, 48)]
TOLERANCE = 1e-6


def attention(module, x):
    with torch.inference_mode():
        return module(x)


def scripted_pair(arch, seed):
    """Returns (plain, optimized) scripted modules of the same random weights."""
    torch.manual_seed(seed)
    vit = build_vit(arch)
    plain, none_applied = cls_attention_map(vit, ())
    optimized, applied = cls_attention_map(vit)
    assert none_applied == [] and applied == list(OPTIMIZATIONS)
    return torch.jit.script(plain), torch.jit.script(optimized)


@pytest.mark.parametrize("arch", ["tiny", "vit_small"])
@pytest.mark.parametrize("height,width", SHAPES)
def test_optimized_attention_equals_plain(arch, height, width):
    plain, optimized = scripted_pair(arch, seed=3)
    x = torch.randn(1, 3, height, width, generator=torch.Generator().manual_seed(height * width))
    expected, got = attention(plain, x), attention(optimized, x)
    assert got.shape == expected.shape == (1, plain.num_heads, height // 16, width // 16)
    assert (got - expected).abs().max().item() <= TOLERANCE


def test_folding_the_scale_alone_is_exact_and_leaves_the_source_model_untouched():
    torch.manual_seed(4)
    vit = build_vit("vit_small")
    before = {k: v.clone() for k, v in vit.state_dict().items()}
    plain, _ = cls_attention_map(vit, ())
    folded, applied = cls_attention_map(vit, ("fold_scale",))
    assert applied == ["fold_scale"]
    x = torch.randn(1, 3, 96, 128)
    # 1/8 is a power of two: q * 1/8 then q.k gives the same floats as (q.k) * 1/8.
    assert torch.equal(attention(folded, x), attention(plain, x))
    assert all(torch.equal(before[k], v) for k, v in vit.state_dict().items())


@pytest.mark.parametrize("height,width", [(224, 224), (64, 256)])
def test_attending_per_head_alone_matches_plain_and_leaves_the_source_model_untouched(height, width):
    torch.manual_seed(7)
    vit = build_vit("vit_small")
    before = {k: v.clone() for k, v in vit.state_dict().items()}
    plain, _ = cls_attention_map(vit, ())
    split, applied = cls_attention_map(vit, ("attention_per_head",))
    assert applied == ["attention_per_head"]
    assert all(block.attn.per_head for block in split.vit.blocks)
    assert not any(block.attn.per_head for block in vit.blocks)
    x = torch.randn(1, 3, height, width, generator=torch.Generator().manual_seed(8))
    plain, split = torch.jit.script(plain), torch.jit.script(split)
    assert (attention(split, x) - attention(plain, x)).abs().max().item() <= TOLERANCE
    # Under bf16 autocast too (what smartcrop runs where the CPU has bf16).
    with torch.autocast("cpu", dtype=torch.bfloat16):
        expected, got = attention(plain, x).float(), attention(split, x).float()
    assert torch.corrcoef(torch.stack([expected.flatten(), got.flatten()]))[0, 1].item() >= 0.9999
    assert all(torch.equal(before[k], v) for k, v in vit.state_dict().items())


def test_default_export_records_its_optimizations_and_plain_flag_turns_them_off(tmp_path):
    default, plain = tmp_path / "default.pt", tmp_path / "plain.pt"
    assert export_model.main(["--arch", "tiny", "--random-init", "--seed", "5", "-o", str(default)]) == 0
    assert export_model.main(["--arch", "tiny", "--random-init", "--seed", "5", "-o", str(plain), "--plain"]) == 0
    # With torch >= 2.0 the default also fuses blocks 1-11 (sdpa_blocks, test_export_sdpa.py).
    assert read_metadata(default)["optimizations"] == list(OPTIMIZATIONS)
    assert set(OPTIMIZATIONS) >= {"fold_scale", "cls_only_last_block", "attention_per_head"}
    assert read_metadata(plain)["optimizations"] == []
    x = torch.randn(1, 3, 64, 112)
    got = attention(torch.jit.load(str(default)), x)
    expected = attention(torch.jit.load(str(plain)), x)
    assert (got - expected).abs().max().item() <= TOLERANCE


def test_optimizations_flag_applies_just_those(tmp_path):
    chosen = tmp_path / "chosen.pt"
    assert export_model.main(["--arch", "tiny", "--random-init", "-o", str(chosen),
                              "--optimizations", "fold_scale,cls_only_last_block"]) == 0
    assert read_metadata(chosen)["optimizations"] == ["fold_scale", "cls_only_last_block"]
    with pytest.raises(SystemExit):
        export_model.main(["--arch", "tiny", "--random-init", "-o", str(chosen), "--optimizations", "turbo"])


def test_official_key_names_load_strictly_into_the_optimized_export(tmp_path):
    # A checkpoint with DINO's key names (module./backbone. prefixes and a head, as in
    # training checkpoints) exports with the default savings and gives DINO's attention.
    torch.manual_seed(6)
    vit = build_vit("vit_small")
    state = {"teacher": {f"module.backbone.{k}": v for k, v in vit.state_dict().items()}
             | {"module.head.last_layer.weight": torch.zeros(2, 2)}}
    checkpoint, output = tmp_path / "dino_deitsmall16_pretrain.pth", tmp_path / "model.pt"
    torch.save(state, checkpoint)
    assert export_model.main(["--checkpoint", str(checkpoint), "-o", str(output)]) == 0
    assert read_metadata(output)["optimizations"] == list(OPTIMIZATIONS)
    exported = torch.jit.load(str(output))
    # The exported file keeps DINO's parameter names.
    assert {name for name, _ in exported.vit.named_parameters()} == set(vit.state_dict())
    plain, _ = cls_attention_map(vit, ())
    x = torch.randn(1, 3, 128, 96)
    assert (attention(exported, x) - attention(plain, x)).abs().max().item() <= TOLERANCE
