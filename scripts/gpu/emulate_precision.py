#!/usr/bin/python3
"""Writes a TorchScript file that computes, on the CPU in float32, what smartcrop's ViT would
compute on a GPU in another number format: the same model with every tensor rounded where the
GPU would round it. The real binary runs the file like any model (`--device cpu --precision
fp32`), so its boxes can be compared with the float32 model's (scripts/gpu/compare_devices.py):
evidence for the GPU's default precision without a GPU (issue 25).

Policies (what the GPU does, and what is rounded here):
  fp32        nothing (a check: equals the plain export)
  tf32        fp32 with TF32 matrix products: the inputs of every matrix product and convolution
              keep 10 mantissa bits, accumulation and everything else fp32
  bf16-mixed  autocast with the Linear/Conv weights stored in bf16 (the CPU's bf16 path, and the
              GPU's since issue 25): the products' inputs and outputs in bf16, fp32 accumulation;
              LayerNorm, softmax, the residual stream and the position embedding in fp32
  fp16-mixed  the same in fp16
  bf16-cast   the whole module cast (`module.to(bf16)`, the GPU's path before issue 25): every
              parameter and every op's output in bf16, the image too
  fp16-cast   the same in fp16
With --shape gpu, blocks 1-11 attend as the fused kernel does in half precision (flash
attention: logits and softmax in fp32, the probabilities rounded before the product with V).

  /usr/bin/python3 scripts/gpu/emulate_precision.py --policy bf16-mixed --seed 0 -o /tmp/bf16.pt
"""
import argparse
import json
import math
import os
import sys
from typing import List

import torch
import torch.nn.functional as F
from torch import Tensor, nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from dino_vit import ARCHITECTURES, build_vit  # noqa: E402

NONE, BF16, FP16, TF32 = 0, 1, 2, 3
# policy: (inputs of matrix products, their outputs, every other op's output); a "-fp32logits"
# variant keeps the last block's CLS logits (q k^T) in fp32, as export_model.py --target gpu does.
POLICIES = {
    "fp32": (NONE, NONE, NONE),
    "tf32": (TF32, NONE, NONE),
    "bf16-mixed": (BF16, BF16, NONE),
    "fp16-mixed": (FP16, FP16, NONE),
    "bf16-cast": (BF16, BF16, BF16),
    "fp16-cast": (FP16, FP16, FP16),
}
POLICIES.update({name + "-fp32logits": POLICIES[name] for name in ("bf16-mixed", "fp16-mixed")})


def round_to(x: Tensor, mode: int) -> Tensor:
    """x rounded to the format `mode` (nearest, ties to even), as float32. (Literals:
    TorchScript reads no module globals.) 1 BF16, 2 FP16, 3 TF32, 0 none."""
    if mode == 1:
        return x.to(torch.bfloat16).float()
    if mode == 2:
        return x.half().float()
    if mode == 3:
        # 11 significant bits (10 stored): the mantissa in [0.5, 1) times 2^11, rounded
        # half to even.
        mantissa, exponent = torch.frexp(x)
        return torch.ldexp(torch.round(mantissa * 2048.0) / 2048.0, exponent)
    return x


class EmulatedViT(nn.Module):
    """DINO's ViT forward up to the last block's CLS attention, with rounding."""

    mm_in: torch.jit.Final[int]
    mm_out: torch.jit.Final[int]
    other: torch.jit.Final[int]
    fused_blocks: torch.jit.Final[int]
    fp32_logits: torch.jit.Final[bool]

    def __init__(self, vit, policy, fused_blocks):
        super().__init__()
        self.mm_in, self.mm_out, self.other = POLICIES[policy]
        self.fp32_logits = policy.endswith("-fp32logits")
        self.fused_blocks = fused_blocks
        self.patch_size = vit.patch_size
        self.num_heads = vit.num_heads
        cast = self.other
        linears = {id(m) for m in vit.modules() if isinstance(m, (nn.Linear, nn.Conv2d))}
        # Stored as the GPU stores them: the products' weights (and biases, which autocast
        # casts too) in the half format; in a cast model every parameter.
        with torch.no_grad():
            for module in vit.modules():
                weight_mode = self.mm_out if id(module) in linears else cast
                for name, param in list(module.named_parameters(recurse=False)):
                    param.copy_(round_to(param, weight_mode))
        self.vit = vit

    def r(self, x: Tensor) -> Tensor:
        return round_to(x, self.other)

    def linear(self, x: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
        return round_to(F.linear(round_to(x, self.mm_in), round_to(weight, self.mm_in), bias), self.mm_out)

    def matmul(self, a: Tensor, b: Tensor) -> Tensor:
        return round_to(torch.matmul(round_to(a, self.mm_in), round_to(b, self.mm_in)), self.mm_out)

    def layer_norm(self, x: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
        return self.r(F.layer_norm(x, [x.shape[-1]], weight, bias, 1e-6))  # LAYER_NORM_EPS

    def attention(self, x: Tensor, qkv_w: Tensor, qkv_b: Tensor, proj_w: Tensor, proj_b: Tensor,
                  fused: bool) -> Tensor:
        B, N, C = x.shape
        heads = self.num_heads
        t = self.linear(x, qkv_w, qkv_b).reshape(B, N, 3, heads, C // heads).permute(2, 0, 3, 1, 4)
        q, k, v = t[0], t[1], t[2]
        scale = (C // heads) ** -0.5
        if fused:
            # Flash attention: fp32 logits and softmax, probabilities rounded for the product.
            logits = torch.matmul(round_to(q, self.mm_in), round_to(k, self.mm_in).transpose(-2, -1)) * scale
            p = round_to(logits.softmax(dim=-1), self.mm_out)
            out = round_to(torch.matmul(p, round_to(v, self.mm_in)), self.mm_out)
        else:
            logits = self.r(round_to(self.matmul(q, k.transpose(-2, -1)) * scale, self.mm_out))
            out = self.matmul(self.r(logits.softmax(dim=-1)), v)
        out = out.transpose(1, 2).reshape(B, N, C)
        return self.linear(out, proj_w, proj_b)

    def cls_attention(self, x: Tensor, qkv_w: Tensor, qkv_b: Tensor) -> Tensor:
        B, N, C = x.shape
        heads = self.num_heads
        q = self.linear(x[:, :1], qkv_w[:C], qkv_b[:C]).reshape(B, 1, heads, C // heads).transpose(1, 2)
        k = self.linear(x, qkv_w[C:2 * C], qkv_b[C:2 * C]).reshape(B, N, heads, C // heads).transpose(1, 2)
        if self.fp32_logits:
            logits = (q * k).sum(-1).unsqueeze(-2) * ((C // heads) ** -0.5)
        else:
            logits = round_to(self.matmul(q, k.transpose(-2, -1)) * ((C // heads) ** -0.5), self.mm_out)
        return self.r(self.r(logits).softmax(dim=-1))

    def forward(self, x: Tensor) -> Tensor:
        vit = self.vit
        height, width = x.shape[2], x.shape[3]
        x = self.r(x)
        conv = vit.patch_embed.proj
        patches = F.conv2d(round_to(x, self.mm_in), round_to(conv.weight, self.mm_in), conv.bias, conv.stride)
        patches = round_to(patches, self.mm_out).flatten(2).transpose(1, 2)
        tokens = self.r(torch.cat((vit.cls_token.expand(x.shape[0], -1, -1), patches), dim=1))
        tokens = self.r(tokens + self.r(vit.interpolate_pos_encoding(tokens, height, width)))
        attn = torch.empty(0)
        i = 0
        for block in vit.blocks:
            if i < len(vit.blocks) - 1:
                a = block.attn
                h = self.attention(self.layer_norm(tokens, block.norm1.weight, block.norm1.bias), a.qkv.weight,
                                   a.qkv.bias, a.proj.weight, a.proj.bias, i < self.fused_blocks)
                tokens = self.r(tokens + h)
                m = block.mlp
                h = self.linear(self.layer_norm(tokens, block.norm2.weight, block.norm2.bias), m.fc1.weight,
                                m.fc1.bias)
                h = self.linear(round_to(F.gelu(h), self.mm_out), m.fc2.weight, m.fc2.bias)
                tokens = self.r(tokens + h)
            else:
                attn = self.cls_attention(self.layer_norm(tokens, block.norm1.weight, block.norm1.bias),
                                          block.attn.qkv.weight, block.attn.qkv.bias)
            i += 1
        return attn[:, :, 0, 1:].reshape(x.shape[0], self.num_heads, height // self.patch_size,
                                         width // self.patch_size)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policy", choices=sorted(POLICIES), required=True)
    parser.add_argument("--shape", choices=("cpu", "gpu"), default="gpu",
                        help="gpu: blocks 1-11 attend as the fused kernel does (export_model.py --target gpu)")
    parser.add_argument("--arch", choices=sorted(ARCHITECTURES), default="vit_small")
    parser.add_argument("--seed", type=int, default=0, help="random weights as export_model.py --random-init --seed")
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args(argv)
    torch.manual_seed(args.seed)
    vit = build_vit(args.arch)
    fused = len(vit.blocks) - 1 if args.shape == "gpu" else 0
    module = torch.jit.script(EmulatedViT(vit, args.policy, fused).eval())
    config = ARCHITECTURES[args.arch]
    metadata = {"format": 1, "architecture": args.arch, "patch_size": config.patch_size,
                "num_heads": config.num_heads, "weights": "random", "seed": args.seed,
                "torch_version": torch.__version__, "min_torch": "1.13", "output": "cls_attention_last_block",
                "optimizations": [], "target": args.shape, "emulates": f"{args.policy} ({args.shape} shape)"}
    torch.jit.save(module, args.output, _extra_files={"smartcrop_model.json": json.dumps(metadata)})
    print(f"wrote {args.output}: {args.arch} seed {args.seed}, {args.policy} emulated in fp32, {args.shape} shape",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
