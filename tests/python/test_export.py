"""export_model.py: shapes, attention values, metadata, weight sources and its errors."""
import argparse
import hashlib
import time

import pytest
import torch
from conftest import REPO_ROOT, read_metadata

import export_model
from dino_vit import ClsAttentionMap, build_vit

SHAPES = [(224, 224), (480, 720), (720, 480), (256, 512)]


def run_model(path, height, width):
    model = torch.jit.load(str(path), map_location="cpu")
    with torch.inference_mode():
        return model(torch.randn(1, 3, height, width))


def assert_probability_like(attn):
    # CLS-to-patch weights of a softmax row whose CLS-to-CLS entry is left out.
    assert (attn >= 0).all()
    row_sums = attn.sum(dim=(2, 3))
    assert (row_sums > 0).all() and (row_sums < 1).all()


@pytest.mark.parametrize("height,width", SHAPES)
def test_tiny_model_gives_one_map_per_head_for_any_aspect(tiny_model, height, width):
    attn = run_model(tiny_model, height, width)
    assert attn.shape == (1, 3, height // 16, width // 16)
    assert attn.dtype == torch.float32
    assert_probability_like(attn)


def test_tiny_model_metadata_reads_back(tiny_model):
    meta = read_metadata(tiny_model)
    assert meta["format"] == 1 and meta["architecture"] == "tiny"
    assert (meta["patch_size"], meta["embed_dim"], meta["depth"], meta["num_heads"]) == (16, 48, 2, 3)
    assert meta["weights"] == "random" and meta["seed"] == 7
    assert meta["checkpoint"] is None and meta["sha256"] is None
    assert meta["output"] == "cls_attention_last_block"
    assert meta["torch_version"] == torch.__version__
    # Files of the default export run on every LibTorch smartcrop supports, except that a
    # The default export loads on LibTorch 1.13 and 2.x: the fused attention (sdpa_blocks,
    # LibTorch >= 2.0) is asked for by name.
    assert meta["min_torch"] == "1.13"
    assert "sdpa_blocks" not in meta["optimizations"]


def test_min_torch_is_the_newest_that_an_applied_optimization_needs(monkeypatch):
    monkeypatch.setattr(export_model, "MIN_TORCH_FOR", {"fused": "2.0", "newer": "2.10"})
    assert export_model.min_torch([]) == "1.13"
    assert export_model.min_torch(["fold_scale"]) == "1.13"
    assert export_model.min_torch(["fused"]) == "2.0"
    assert export_model.min_torch(["fused", "newer"]) == "2.10"  # by number, not as text
    assert export_model.torch_version_tuple("2.6.0+cpu") == (2, 6)


def test_model_is_scripted_so_input_shape_is_free(tiny_model):
    model = torch.jit.load(str(tiny_model))
    assert isinstance(model, torch.jit.ScriptModule)
    # A traced model would have baked in one grid size and fail or mis-shape here.
    assert run_model(tiny_model, 64, 160).shape == (1, 3, 4, 10)
    assert run_model(tiny_model, 160, 64).shape == (1, 3, 10, 4)


def test_input_not_multiple_of_patch_is_rejected(tiny_model):
    with pytest.raises(Exception, match="multiples of the patch size"):
        run_model(tiny_model, 100, 224)


def test_vit_small_random_export(run_script, tmp_path):
    output = tmp_path / "random_vits16.pt"
    # No wall-clock bound: it failed under load on a busy 2-core machine (speed is
    # for benchmarks); run_script's timeout still catches a hang.
    done = run_script("export_model.py", "--random-init", "--seed", "1", "-o", output, "--verify", timeout=600)
    assert done.returncode == 0, done.stderr
    assert "vit_small" in done.stderr and str(output) in done.stderr and "MB" in done.stderr
    meta = read_metadata(output)
    assert (meta["architecture"], meta["embed_dim"], meta["depth"], meta["num_heads"]) == ("vit_small", 384, 12, 6)
    assert meta["weights"] == "random" and meta["seed"] == 1
    for height, width in [(224, 224), (96, 208), (208, 96)]:
        attn = run_model(output, height, width)
        assert attn.shape == (1, 6, height // 16, width // 16)
        assert_probability_like(attn)


def test_random_model_is_refused_at_the_default_path(run_script, capsys):
    default = REPO_ROOT / "models" / "dino_vits16.pt"
    before = default.stat().st_mtime_ns if default.exists() else None
    done = run_script("export_model.py", "--arch", "tiny", "--random-init", "-o", "models/dino_vits16.pt")
    assert done.returncode == 1
    assert done.stderr.startswith("error: ") and "refusing" in done.stderr
    # The same file spelled differently (in-process: no need to pay Python's start-up again).
    for output in (default, REPO_ROOT / "models" / ".." / "models" / "dino_vits16.pt"):
        assert export_model.main(["--arch", "tiny", "--random-init", "-o", str(output)]) == 1
        assert "refusing" in capsys.readouterr().err
    after = default.stat().st_mtime_ns if default.exists() else None
    assert after == before


def save_checkpoint(path, arch, seed, wrap=None):
    """Saves a random state dict with DINO's key names; returns the model it came from."""
    torch.manual_seed(seed)
    vit = build_vit(arch, dino_init=False)  # PyTorch's init: random enough, and faster
    with torch.no_grad():
        vit.pos_embed.normal_(std=0.02)  # zero by default: make pos_embed interpolation count
        vit.cls_token.normal_(std=0.02)
    state = vit.state_dict()
    if wrap == "teacher":  # as in DINO's training checkpoints
        state = {"teacher": {f"backbone.{k}": v for k, v in state.items()}
                 | {"head.mlp.0.weight": torch.zeros(4, 4)}}
    torch.save(state, path)
    return vit


def assert_same_attention(path, vit, x):
    """The exported file computes what DINO's model does, up to float rounding (export
    optimisations may reorder the arithmetic)."""
    with torch.inference_mode():
        exported = torch.jit.load(str(path))(x)
        expected = ClsAttentionMap(vit)(x)
    torch.testing.assert_close(exported, expected, rtol=1e-5, atol=1e-7)


def test_export_from_local_checkpoint_path_and_file_url(run_script, tmp_path):
    checkpoint = tmp_path / "dino_deitsmall16_pretrain.pth"
    vit = save_checkpoint(checkpoint, "vit_small", seed=5)
    digest = hashlib.sha256(checkpoint.read_bytes()).hexdigest()
    by_path, by_url = tmp_path / "by_path.pt", tmp_path / "by_url.pt"
    done = run_script("export_model.py", "--checkpoint", checkpoint, "-o", by_path)
    assert done.returncode == 0, done.stderr
    assert export_model.main(["--checkpoint", f"file://{checkpoint}", "-o", str(by_url)]) == 0
    x = torch.randn(1, 3, 96, 160)
    for output in (by_path, by_url):
        meta = read_metadata(output)
        assert meta["weights"] == "official" and meta["seed"] is None
        assert meta["checkpoint"] == checkpoint.name and meta["sha256"] == digest
        assert_same_attention(output, vit, x)


def test_export_accepts_a_wrapped_teacher_checkpoint(tmp_path, capsys):
    checkpoint = tmp_path / "checkpoint.pth"
    vit = save_checkpoint(checkpoint, "tiny", seed=2, wrap="teacher")
    output = tmp_path / "tiny.pt"
    assert export_model.main(["--arch", "tiny", "--checkpoint", str(checkpoint), "-o", str(output)]) == 0
    assert_same_attention(output, vit, torch.randn(1, 3, 64, 48))


def test_checkpoint_with_wrong_keys_fails_clearly(run_script, tmp_path, capsys):
    torch.manual_seed(0)
    state = build_vit("tiny").state_dict()
    missing, extra = dict(state), dict(state)
    del missing["blocks.1.attn.qkv.bias"]
    extra["blocks.2.norm1.weight"] = torch.ones(48)
    torch.save(missing, tmp_path / "missing.pth")
    torch.save(extra, tmp_path / "extra.pth")
    output = tmp_path / "bad.pt"
    done = run_script("export_model.py", "--arch", "tiny", "--checkpoint", tmp_path / "missing.pth", "-o", output)
    assert done.returncode == 1
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1
    assert done.stderr.rstrip().endswith("missing ['blocks.1.attn.qkv.bias']"), done.stderr  # no "unexpected []"
    assert export_model.main(["--arch", "tiny", "--checkpoint", str(tmp_path / "extra.pth"), "-o", str(output)]) == 1
    err = capsys.readouterr().err
    assert "unexpected ['blocks.2.norm1.weight']" in err and "missing" not in err, err
    assert not output.exists()


@pytest.mark.parametrize("content,message", [
    (b"<html>404</html>", "not a PyTorch checkpoint"),
    ({"teacher": {}, "args": argparse.Namespace(lr=0.1)}, "holds Python objects besides tensors"),
    ([1, 2], "holds a list, not a state dict"),
])
def test_file_that_is_no_state_dict_fails_clearly(tmp_path, capsys, content, message):
    checkpoint = tmp_path / "odd.pth"
    if isinstance(content, bytes):
        checkpoint.write_bytes(content)
    else:
        torch.save(content, checkpoint)
    assert export_model.main(["--arch", "tiny", "--checkpoint", str(checkpoint), "-o", str(tmp_path / "m.pt")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {checkpoint}: ") and message in err

def test_missing_checkpoint_file_fails_clearly(tmp_path, capsys):
    assert export_model.main(["--checkpoint", str(tmp_path / "none.pth"), "-o", str(tmp_path / "m.pt")]) == 1
    assert "none.pth: checkpoint file not found" in capsys.readouterr().err


def test_unreachable_url_fails_fast(run_script, tmp_path):
    start = time.monotonic()
    done = run_script("export_model.py", "--checkpoint", "http://127.0.0.1:9/x.pth", "-o", tmp_path / "m.pt")
    assert time.monotonic() - start < 60  # torch import included; a retrying download would take minutes
    assert done.returncode == 1
    assert "error: cannot download http://127.0.0.1:9/x.pth" in done.stderr
    assert "--checkpoint PATH" in done.stderr
