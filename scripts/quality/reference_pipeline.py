#!/usr/bin/python3
"""Python reference of smartcrop's DINO crop pipeline: the parity oracle for the C++ tool.

For each image prints one JSON line to stdout:
  {"image", "width", "height", "box": [x, y, w, h], "peak": [px, py], "grid": [gh, gw], "heads"}
where peak is the blurred score map's maximum in map pixels (one map pixel per pixel of
the resized image). The float arithmetic follows the C++ step by step (same float32 or
double operations in the same order), so maps agree to rounding and boxes exactly.
"""
import argparse
import json
import os
import sys

import cv2
import numpy as np
import torch

PATCH_SIZE = 16
IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
# --blur is given for a 480 px short side and scaled to the actual one.
BLUR_REFERENCE_SIDE = 480


def parse_ratio(text):
    """Returns width / height for "16:9", "4x5" or "1.91"."""
    for separator in (":", "x"):
        if separator in text:
            try:
                width, height = (float(part) for part in text.split(separator, 1))
            except ValueError:
                raise ValueError(f"{text}: ratio is not W:H, WxH or a number") from None
            break
    else:
        try:
            width, height = float(text), 1.0
        except ValueError:
            raise ValueError(f"{text}: ratio is not W:H, WxH or a number") from None
    if not (width > 0 and height > 0) or not np.isfinite(width / height):
        raise ValueError(f"{text}: ratio must be two positive numbers")
    return width / height


def ratio_argument(text):
    try:
        return parse_ratio(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from e


def prepare_input(bgr, input_size):
    """Returns (CHW float32 batch [1, 3, th, tw], resized width, resized height)."""
    height, width = bgr.shape[:2]
    scale = input_size / min(width, height)
    resized_w = int(np.floor(width * scale + 0.5))
    resized_h = int(np.floor(height * scale + 0.5))
    trimmed_w = resized_w // PATCH_SIZE * PATCH_SIZE
    trimmed_h = resized_h // PATCH_SIZE * PATCH_SIZE
    if trimmed_w < PATCH_SIZE or trimmed_h < PATCH_SIZE:
        raise ValueError(f"image too small to analyse: {width}x{height}")
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    resized = cv2.resize(bgr, (resized_w, resized_h), interpolation=interpolation)
    rgb = cv2.cvtColor(resized[:trimmed_h, :trimmed_w], cv2.COLOR_BGR2RGB)
    # Multiply by float32(1/255) rather than divide by 255: that is what OpenCV's
    # convertTo(CV_32F, 1/255.0) does in the C++, and the two differ in the last bit.
    pixels = rgb.astype(np.float32) * np.float32(1.0 / 255.0)
    normalised = (pixels - IMAGENET_MEAN) / IMAGENET_STD
    chw = np.ascontiguousarray(normalised.transpose(2, 0, 1))[np.newaxis]
    return chw, resized_w, resized_h


def combine_heads(heads, threshold):
    """Returns the [gh, gw] float32 map combining the per-head attention [heads, gh, gw].

    threshold > 0: DINO's visualisation rule per head (sort ascending, normalise,
    cumulative sum, keep patches past 1 - threshold: the most attended patches holding
    `threshold` of the mass), and count per patch how many heads kept it.
    threshold <= 0: the raw attention summed over heads.
    """
    combined = np.zeros(heads.shape[1:], dtype=np.float32).ravel()
    for head in heads.reshape(heads.shape[0], -1):
        if threshold <= 0:
            combined += head
            continue
        # Stable sort so tied values keep patch order (the C++ uses std::stable_sort).
        order = np.argsort(head, kind="stable")
        ascending = head[order]
        # np.cumsum adds one float32 at a time, like the C++ loop (np.sum does not).
        total = np.cumsum(ascending)[-1]
        if not total > 0:
            continue
        cumulative = np.cumsum(ascending / total)
        kept = order[cumulative > np.float32(1.0) - np.float32(threshold)]
        combined[kept] += np.float32(1.0)
    return combined.reshape(heads.shape[1:])


def blur_window(blur_px, resized_w, resized_h):
    """Returns the odd box-blur side in map pixels: blur_px scaled from a 480 px short side."""
    window = max(1, int(np.floor(blur_px * min(resized_w, resized_h) / BLUR_REFERENCE_SIDE + 0.5)))
    return window + 1 if window % 2 == 0 else window


def box_blur(score, window):
    """Returns the float32 sum of `score` over the window x window square centred on
    each pixel, zero outside. Computed from a summed-area table in float64, built and
    read in the same order as the C++, then rounded to float32."""
    height, width = score.shape
    table = np.zeros((height + 1, width + 1), dtype=np.float64)
    table[1:, 1:] = np.cumsum(np.cumsum(score.astype(np.float64), axis=1), axis=0)
    half = window // 2
    y0 = np.clip(np.arange(height) - half, 0, height)[:, np.newaxis]
    y1 = np.clip(np.arange(height) + half + 1, 0, height)[:, np.newaxis]
    x0 = np.clip(np.arange(width) - half, 0, width)[np.newaxis, :]
    x1 = np.clip(np.arange(width) + half + 1, 0, width)[np.newaxis, :]
    return (table[y1, x1] - table[y1, x0] - table[y0, x1] + table[y0, x0]).astype(np.float32)


def crop_box(width, height, ratio, cx, cy):
    """Returns [x, y, w, h]: the largest window of `ratio` centred as near (cx, cy) as fits."""
    if width / height > ratio:
        box_h = height
        box_w = min(width, max(1, int(np.floor(height * ratio + 0.5))))
    else:
        box_w = width
        box_h = min(height, max(1, int(np.floor(width / ratio + 0.5))))
    x = min(max(int(np.floor(cx - box_w / 2 + 0.5)), 0), width - box_w)
    y = min(max(int(np.floor(cy - box_h / 2 + 0.5)), 0), height - box_h)
    return [x, y, box_w, box_h]


def analyse(model, path, args):
    """Returns (result dict, per-head attention [heads, gh, gw], score map) for one image."""
    bgr = cv2.imread(path, cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError("cannot decode image")
    height, width = bgr.shape[:2]
    chw, resized_w, resized_h = prepare_input(bgr, args.input_size)
    with torch.inference_mode():
        heads = model(torch.from_numpy(chw))[0].numpy().astype(np.float32)
    combined = combine_heads(heads, args.head_threshold)
    # Nearest-neighbour: every patch becomes PATCH_SIZE x PATCH_SIZE map pixels.
    attention = np.repeat(np.repeat(combined, PATCH_SIZE, axis=0), PATCH_SIZE, axis=1)
    score = box_blur(attention, blur_window(args.blur, resized_w, resized_h))
    peak_y, peak_x = np.unravel_index(int(np.argmax(score)), score.shape)  # first maximum
    # One map pixel covers width / resized_w original pixels; aim at its centre.
    cx = (peak_x + 0.5) * (width / resized_w)
    cy = (peak_y + 0.5) * (height / resized_h)
    result = {
        "image": path,
        "width": width,
        "height": height,
        "box": crop_box(width, height, args.ratio, cx, cy),
        "peak": [int(peak_x), int(peak_y)],
        "grid": [heads.shape[1], heads.shape[2]],
        "heads": heads.shape[0],
    }
    return result, heads, score


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="TorchScript file from export_model.py")
    parser.add_argument("--input-size", type=int, default=480, help="short side for the model (default: %(default)s)")
    parser.add_argument("--head-threshold", type=float, default=0.3,
                        help="per-head attention share kept; <= 0 sums raw attention (default: %(default)s)")
    parser.add_argument("--blur", type=int, default=30, help="blur window at a 480 px short side (default: %(default)s)")
    parser.add_argument("--ratio", type=ratio_argument, default=parse_ratio("16:9"),
                        help="crop aspect ratio W:H, WxH or a decimal (default: 16:9)")
    parser.add_argument("--dump-dir", help="write STEM.heads.f32 and STEM.score.f32 (raw little-endian float32)")
    parser.add_argument("images", nargs="+", metavar="IMG")
    args = parser.parse_args(argv)
    if args.input_size < PATCH_SIZE or args.blur < 0:
        parser.error(f"--input-size must be >= {PATCH_SIZE} and --blur >= 0")
    return args


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(os.cpu_count() or 1)
    try:
        model = torch.jit.load(args.model, map_location="cpu").eval()
    except Exception as e:
        print(f"error: {args.model}: cannot load model ({' '.join(str(e).split())[:200]})", file=sys.stderr)
        return 2
    if args.dump_dir:
        os.makedirs(args.dump_dir, exist_ok=True)
    failed = 0
    for path in args.images:
        try:
            result, heads, score = analyse(model, path, args)
        except Exception as e:  # report the file and go on with the rest
            print(f"error: {path}: {' '.join(str(e).split())[:300]}", file=sys.stderr)
            failed += 1
            continue
        if args.dump_dir:
            stem = os.path.join(args.dump_dir, os.path.splitext(os.path.basename(path))[0])
            heads.astype("<f4").tofile(stem + ".heads.f32")
            score.astype("<f4").tofile(stem + ".score.f32")
        print(json.dumps(result), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
