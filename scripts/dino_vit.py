"""DINO's Vision Transformer, rewritten to be scriptable with torch.jit.script.

Mirrors facebookresearch/dino vision_transformer.py: same module tree and parameter
names (so the official checkpoints load with strict=True), same arithmetic, same
random initialisation order. Only the inference path is kept: dropout and drop-path
are identities at eval time and the classification head is absent in DINO's
backbones, so they are left out.
"""
import copy
import math
from typing import List, NamedTuple, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class VitConfig(NamedTuple):
    patch_size: int
    embed_dim: int
    depth: int
    num_heads: int


ARCHITECTURES = {
    "vit_small": VitConfig(patch_size=16, embed_dim=384, depth=12, num_heads=6),
    "vit_base": VitConfig(patch_size=16, embed_dim=768, depth=12, num_heads=12),
    # Not a DINO model: small enough for tests to build, script and run in milliseconds.
    "tiny": VitConfig(patch_size=16, embed_dim=48, depth=2, num_heads=3),
}

# DINO's vit_small/vit_base use LayerNorm(eps=1e-6), not PyTorch's default 1e-5.
LAYER_NORM_EPS = 1e-6
# The grid pos_embed was trained for: 224 px / 16 px patches = 14 x 14.
TRAINING_IMAGE_SIZE = 224


class Attention(nn.Module):
    scale_folded: torch.jit.Final[bool]
    per_head: torch.jit.Final[bool]

    def __init__(self, dim: int, num_heads: int):
        super().__init__()
        self.num_heads = num_heads
        self.scale = (dim // num_heads) ** -0.5
        # True once fold_attention_scale() has put the scale into the query weights.
        self.scale_folded = False
        # True (export-time saving "attention_per_head") to attend one head at a time:
        # the same products, but only one head's tokens x tokens arrays exist at once.
        self.per_head = False
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)

    def split_heads(self, x: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """Returns q, k, v, each [B, heads, tokens, head_dim]."""
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, C // self.num_heads).permute(2, 0, 3, 1, 4)
        return qkv[0], qkv[1], qkv[2]

    def weights(self, q: Tensor, k: Tensor) -> Tensor:
        """Returns the softmax attention [B, heads, tokens, tokens]."""
        attn = q @ k.transpose(-2, -1)
        if not self.scale_folded:
            # Scale after the product, as DINO does: folding a scale that is not a
            # power of two into q would change rounding.
            attn = attn * self.scale
        return attn.softmax(dim=-1)

    def forward(self, x: Tensor) -> Tensor:
        B, N, C = x.shape
        q, k, v = self.split_heads(x)
        if self.per_head:
            heads: List[Tensor] = []
            for h in range(self.num_heads):
                heads.append(self.weights(q[:, h], k[:, h]) @ v[:, h])
            out = torch.stack(heads, 1)
        else:
            out = self.weights(q, k) @ v
        return self.proj(out.transpose(1, 2).reshape(B, N, C))

    def attention_only(self, x: Tensor) -> Tensor:
        """Returns the attention weights without computing the block output."""
        q, k, _ = self.split_heads(x)
        return self.weights(q, k)

    def cls_attention_only(self, x: Tensor) -> Tensor:
        """Returns row 0 of attention_only(x), [B, heads, 1, tokens]: the CLS token's
        query against every key, without the other queries, the values or the output."""
        B, N, C = x.shape
        head_dim = C // self.num_heads
        # qkv.weight rows are [query; key; value], each C rows (see split_heads).
        q = F.linear(x[:, :1], self.qkv.weight[:C], self.qkv.bias[:C])
        k = F.linear(x, self.qkv.weight[C:2 * C], self.qkv.bias[C:2 * C])
        q = q.reshape(B, 1, self.num_heads, head_dim).transpose(1, 2)
        k = k.reshape(B, N, self.num_heads, head_dim).transpose(1, 2)
        return self.weights(q, k)


class SdpaAttention(Attention):
    """Attention through torch's fused scaled_dot_product_attention (torch >= 2.0):
    the same products without the [heads, tokens, tokens] weights in memory, which
    SDPA does not return; so the last block, whose CLS row is the output, keeps the
    plain Attention. Same parameter names and values as the Attention it replaces."""

    fused: torch.jit.Final[bool]

    def __init__(self, source: Attention):
        # Attention's constructor draws random weights: leave the global RNG as it was.
        with torch.random.fork_rng(devices=[]):
            super().__init__(source.qkv.in_features, source.num_heads)
        self.load_state_dict(source.state_dict())
        self.fused = True
        if source.scale_folded:
            raise ValueError("SDPA applies its own scale: replace the attention before folding the scale")

    def forward(self, x: Tensor) -> Tensor:
        B, N, C = x.shape
        q, k, v = self.split_heads(x)
        # SDPA's default scale is 1/sqrt(head_dim), Attention.scale.
        out = F.scaled_dot_product_attention(q, k, v)
        return self.proj(out.transpose(1, 2).reshape(B, N, C))


def has_sdpa() -> bool:
    """True if this torch has scaled_dot_product_attention (2.0 and later)."""
    return hasattr(F, "scaled_dot_product_attention")


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden_dim: int):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden_dim)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden_dim, dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    """Pre-norm transformer block."""

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float = 4.0):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=LAYER_NORM_EPS)
        self.attn = Attention(dim, num_heads)
        self.norm2 = nn.LayerNorm(dim, eps=LAYER_NORM_EPS)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))

    @torch.jit.export
    def attention(self, x: Tensor) -> Tensor:
        """DINO's Block.forward(x, return_attention=True)."""
        return self.attn.attention_only(self.norm1(x))

    @torch.jit.export
    def cls_attention(self, x: Tensor) -> Tensor:
        """Row 0 (the CLS query) of attention(x): [B, heads, 1, tokens]."""
        return self.attn.cls_attention_only(self.norm1(x))


class PatchEmbed(nn.Module):
    def __init__(self, patch_size: int, embed_dim: int, in_chans: int = 3):
        super().__init__()
        self.patch_size = patch_size
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x: Tensor) -> Tensor:
        return self.proj(x).flatten(2).transpose(1, 2)


class VisionTransformer(nn.Module):
    def __init__(self, config: VitConfig, mlp_ratio: float = 4.0, dino_init: bool = True):
        super().__init__()
        self.patch_size = config.patch_size
        self.num_heads = config.num_heads
        self.patch_embed = PatchEmbed(config.patch_size, config.embed_dim)
        num_patches = (TRAINING_IMAGE_SIZE // config.patch_size) ** 2
        self.cls_token = nn.Parameter(torch.zeros(1, 1, config.embed_dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, num_patches + 1, config.embed_dim))
        self.blocks = nn.ModuleList(
            [Block(config.embed_dim, config.num_heads, mlp_ratio) for _ in range(config.depth)])
        # Unused for attention maps, but part of the checkpoint: strict loading needs it.
        self.norm = nn.LayerNorm(config.embed_dim, eps=LAYER_NORM_EPS)
        if dino_init:
            self._init_weights_like_dino()

    def _init_weights_like_dino(self):
        # Same calls in the same order as DINO's __init__, so that a seeded random model
        # draws the same numbers as DINO's would. The patch conv keeps PyTorch's default.
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        nn.init.trunc_normal_(self.cls_token, std=0.02)
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.trunc_normal_(module.weight, std=0.02)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.LayerNorm):
                nn.init.zeros_(module.bias)
                nn.init.ones_(module.weight)

    def interpolate_pos_encoding(self, x: Tensor, height: int, width: int) -> Tensor:
        """Resizes the 14x14 pos_embed to the image's patch grid, exactly as DINO does."""
        npatch = x.shape[1] - 1
        N = self.pos_embed.shape[1] - 1
        if npatch == N and height == width:
            return self.pos_embed
        class_pos_embed = self.pos_embed[:, 0]
        patch_pos_embed = self.pos_embed[:, 1:]
        dim = x.shape[-1]
        # DINO names these w0, h0, but takes them from dims 2 and 3 (rows, columns).
        rows = height // self.patch_size
        cols = width // self.patch_size
        # The +0.1 makes floor(side * scale) land on rows/cols despite rounding
        # (dino issue #8); as a scale_factor it also shifts the bicubic sampling
        # slightly, which the released attention maps include, so keep it.
        side = math.sqrt(N)
        patch_pos_embed = F.interpolate(
            patch_pos_embed.reshape(1, int(side), int(side), dim).permute(0, 3, 1, 2),
            scale_factor=[(rows + 0.1) / side, (cols + 0.1) / side],
            mode="bicubic",
        )
        if patch_pos_embed.shape[-2] != rows or patch_pos_embed.shape[-1] != cols:
            raise RuntimeError("pos_embed interpolation gave the wrong grid size")
        patch_pos_embed = patch_pos_embed.permute(0, 2, 3, 1).reshape(1, -1, dim)
        return torch.cat((class_pos_embed.unsqueeze(0), patch_pos_embed), dim=1)

    def prepare_tokens(self, x: Tensor) -> Tensor:
        height, width = x.shape[2], x.shape[3]
        x = self.patch_embed(x)
        cls_tokens = self.cls_token.expand(x.shape[0], -1, -1)
        x = torch.cat((cls_tokens, x), dim=1)
        return x + self.interpolate_pos_encoding(x, height, width)

    def get_last_selfattention(self, x: Tensor) -> Tensor:
        """Returns the last block's attention weights [B, heads, tokens, tokens]."""
        x = self.prepare_tokens(x)
        last = len(self.blocks) - 1
        attn = torch.empty(0)
        for i, block in enumerate(self.blocks):
            if i < last:
                x = block(x)
            else:
                attn = block.attention(x)
        return attn

    def get_last_cls_attention(self, x: Tensor) -> Tensor:
        """Row 0 of get_last_selfattention(x), [B, heads, 1, tokens]: the last block
        computes only the CLS query's attention and nothing after it."""
        x = self.prepare_tokens(x)
        last = len(self.blocks) - 1
        attn = torch.empty(0)
        for i, block in enumerate(self.blocks):
            if i < last:
                x = block(x)
            else:
                attn = block.cls_attention(x)
        return attn

    def forward(self, x: Tensor) -> Tensor:
        """DINO's forward: the normalised CLS feature [B, embed_dim]."""
        x = self.prepare_tokens(x)
        for block in self.blocks:
            x = block(x)
        return self.norm(x)[:, 0]


class ClsAttentionMap(nn.Module):
    """What smartcrop exports: image [B, 3, H, W] -> [B, heads, H/patch, W/patch],
    the last block's attention from the CLS token to each patch.

    cls_only_last_block: the last block computes only the CLS query's row, not the
    full tokens x tokens attention; the values differ from the full row by float
    rounding only (a vector-matrix instead of a matrix-matrix product)."""

    cls_only_last_block: torch.jit.Final[bool]

    def __init__(self, vit: VisionTransformer, cls_only_last_block: bool = False):
        super().__init__()
        self.vit = vit
        self.patch_size = vit.patch_size
        self.num_heads = vit.num_heads
        self.cls_only_last_block = cls_only_last_block

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError("expected an image tensor [B, 3, H, W]")
        height, width = x.shape[2], x.shape[3]
        if height % self.patch_size != 0 or width % self.patch_size != 0 or height == 0 or width == 0:
            raise ValueError("image height and width must be positive multiples of the patch size")
        if self.cls_only_last_block:
            attn = self.vit.get_last_cls_attention(x)
        else:
            attn = self.vit.get_last_selfattention(x)
        # Row 0 is the CLS token's query; column 0 (CLS to itself) is not a place in the image.
        return attn[:, :, 0, 1:].reshape(
            x.shape[0], self.num_heads, height // self.patch_size, width // self.patch_size)


def build_vit(architecture: str, dino_init: bool = True) -> VisionTransformer:
    """Returns an eval-mode ViT of a name in ARCHITECTURES, randomly initialised as
    DINO does; dino_init=False skips that (seconds for ViT-S) for weights about to be
    replaced by a checkpoint's."""
    return VisionTransformer(ARCHITECTURES[architecture], dino_init=dino_init).eval()


def scale_is_power_of_two(scale: float) -> bool:
    return math.frexp(scale)[0] == 0.5


def fold_attention_scale(vit: VisionTransformer) -> VisionTransformer:
    """Returns a copy of `vit` whose query weights and biases are multiplied by the
    attention scale, so that the attention no longer multiplies by it. Exact (the same
    floats) when the scale is a power of two: 1/8 for DINO's head dim 64."""
    folded = copy.deepcopy(vit)
    with torch.no_grad():
        for block in folded.blocks:
            attn = block.attn
            if isinstance(attn, SdpaAttention):
                continue  # SDPA scales inside
            dim = attn.qkv.in_features
            attn.qkv.weight[:dim] *= attn.scale
            attn.qkv.bias[:dim] *= attn.scale
            attn.scale_folded = True
    return folded


def attend_per_head(vit: VisionTransformer) -> VisionTransformer:
    """Returns a copy of `vit` whose blocks attend one head at a time. The products
    are the same; a [tokens, tokens] array per head instead of [heads, tokens, tokens]
    at once keeps a forward's memory a sixth as large for ViT-S (a 3:1 panorama at
    480 px: 15 instead of 88 MB per array in bf16), and the memory a process touches
    for the first time is what costs on this project's machines (docs/PERFORMANCE.md)."""
    split = copy.deepcopy(vit)
    for block in split.blocks:
        block.attn.per_head = True
    return split


def fuse_attention(vit: VisionTransformer) -> VisionTransformer:
    """Returns a copy of `vit` whose blocks but the last attend through SDPA
    (SdpaAttention); the last block's CLS row still comes from its plain attention."""
    fused = copy.deepcopy(vit)
    for block in list(fused.blocks)[:-1]:
        block.attn = SdpaAttention(block.attn)
    return fused


# The export-time savings; each keeps the results (fold_scale exactly, the others up
# to float rounding). sdpa_blocks needs torch >= 2.0 to export and to load (the file
# records min_torch, export_model.MIN_TORCH_FOR); it is a default where this torch has SDPA.
KNOWN_OPTIMIZATIONS = ("sdpa_blocks", "fold_scale", "cls_only_last_block", "attention_per_head")
# sdpa_blocks is asked for by name (--optimizations): under LibTorch 2.6 in bf16 on the CPU it
# moved a 16:9 crop by 60 px against fp32 (tests/dino/precision_test.cpp, Debian 13 CI run),
# and its files need LibTorch >= 2.0; the default export loads on 1.13 and 2.x alike.
OPTIMIZATIONS = tuple(name for name in KNOWN_OPTIMIZATIONS if name != "sdpa_blocks")
# The GPU's file (export_model.py --target gpu, torch >= 2.0): blocks 1-11 through the fused
# kernel and no attention_per_head, whose six small kernels per block each build a full
# tokens x tokens array on the GPU (issue 20 on an H200: 391 photos/s for the CPU's file in fp32
# at batch 64, 2,892 for fused attention in fp16).
GPU_OPTIMIZATIONS = ("sdpa_blocks", "fold_scale", "cls_only_last_block")


def cls_attention_map(vit: VisionTransformer, optimizations: Tuple[str, ...] = OPTIMIZATIONS
                      ) -> Tuple[ClsAttentionMap, List[str]]:
    """Returns the module to export for `vit` (left untouched) and the optimizations
    applied. fold_scale is skipped when the scale is not a power of two (not exact)."""
    unknown = set(optimizations) - set(KNOWN_OPTIMIZATIONS)
    if unknown:
        raise ValueError(f"unknown optimizations {sorted(unknown)}")
    applied = []
    if "sdpa_blocks" in optimizations:
        if not has_sdpa():
            raise ValueError(f"sdpa_blocks needs torch >= 2.0 (this is {torch.__version__})")
        vit = fuse_attention(vit)
        applied.append("sdpa_blocks")
    if "fold_scale" in optimizations and all(scale_is_power_of_two(b.attn.scale) for b in vit.blocks):
        vit = fold_attention_scale(vit)
        applied.append("fold_scale")
    cls_only = "cls_only_last_block" in optimizations
    if cls_only:
        applied.append("cls_only_last_block")
    if "attention_per_head" in optimizations:
        vit = attend_per_head(vit)
        applied.append("attention_per_head")
    return ClsAttentionMap(vit, cls_only_last_block=cls_only).eval(), applied
