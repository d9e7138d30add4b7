#!/usr/bin/env python3
"""Writes a synthetic demo photo (no third-party content): a soft sky and ground,
with a textured red subject well off-centre, so a content-aware crop differs
visibly from a centre crop.

    /usr/bin/python3 scripts/make_demo_image.py out/demo.jpg [--size 2400x1100]
"""
import argparse

import cv2
import numpy as np


def make_demo(width: int, height: int, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y = np.linspace(0.0, 1.0, height)[:, None]
    sky = np.stack([235 - 60 * y, 200 - 40 * y, 160 - 40 * y], axis=-1) * np.ones((1, width, 1))
    image = sky.astype(np.float32)
    horizon = int(height * 0.62)
    image[horizon:] = np.array([70, 120, 90], np.float32)  # BGR green ground
    image += rng.normal(0, 4, image.shape).astype(np.float32)
    # The subject: a textured red disc at the right third, with a highlight.
    cx, cy, r = int(width * 0.80), int(height * 0.45), int(min(width, height) * 0.16)
    yy, xx = np.mgrid[:height, :width]
    disc = (xx - cx) ** 2 + (yy - cy) ** 2 < r * r
    stripes = (np.sin(xx / 6.0) * np.cos(yy / 9.0) > 0)
    image[disc] = np.where(stripes[disc][:, None], [30, 30, 210], [20, 90, 250])
    cv2.circle(image, (cx - r // 3, cy - r // 3), r // 5, (230, 240, 255), -1)
    return np.clip(image, 0, 255).astype(np.uint8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output")
    parser.add_argument("--size", default="2400x1100", help="WxH")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    if not cv2.imwrite(args.output, make_demo(width, height)):
        raise SystemExit(f"error: {args.output}: cannot write")


if __name__ == "__main__":
    main()
