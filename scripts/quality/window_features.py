"""The learned window's features in numpy: the same formulas, in the same order
of floating-point operations, as src/window/learned_window.cpp, over every
position of the largest window of a ratio at once (summed-area tables).

Used by scripts/quality/fit_window_model.py; the maps come from the binary itself
(`smartcrop --requests LIST --dump-maps DIR`), so the fitter sees exactly what
the C++ search sees.
"""
import json
import math
import os

import numpy as np


def dump_stem(image_path):
    """The file stem the binary writes a photo's maps under: <folder>_<stem>."""
    folder = os.path.basename(os.path.dirname(os.path.abspath(image_path)))
    return folder + "_" + os.path.splitext(os.path.basename(image_path))[0]


def load_dump(maps_dir, image_path):
    """Returns (meta, {plane name: float32 array [h, w]}) for one photo."""
    base = os.path.join(maps_dir, dump_stem(image_path))
    with open(base + ".maps.json") as f:
        meta = json.load(f)
    raw = np.fromfile(base + ".maps.f32", dtype=np.float32)
    h, w = meta["height"], meta["width"]
    planes = raw.reshape(len(meta["planes"]), h, w)
    return meta, dict(zip(meta["planes"], planes))


def sat(plane):
    """Summed-area table, (h + 1) x (w + 1), float64: rows first, as the C++."""
    s = np.zeros((plane.shape[0] + 1, plane.shape[1] + 1))
    s[1:, 1:] = plane.astype(np.float64).cumsum(axis=1).cumsum(axis=0)
    return s


def box_sum(s, x0, y0, x1, y1):
    return s[y1, x1] - s[y1, x0] - s[y0, x1] + s[y0, x0]


def round_half_up(v):
    return int(math.floor(v + 0.5))


def largest_window(W, H, ratio):
    if W / H > ratio:
        return min(max(round_half_up(H * ratio), 1), W), H
    return W, min(max(round_half_up(W / ratio), 1), H)


class Windows:
    """Every position of the largest window of aspect aw:ah on one photo."""

    def __init__(self, meta, planes, aw, ah):
        self.meta, self.planes = meta, planes
        W, H = meta["image_width"], meta["image_height"]
        self.size = largest_window(W, H, aw / ah)
        mw, mh = meta["width"], meta["height"]
        # std::lround: half away from zero (sizes are positive)
        self.ww = min(max(int(math.floor(self.size[0] / meta["scale_x"] + 0.5)), 1), mw)
        self.wh = min(max(int(math.floor(self.size[1] / meta["scale_y"] + 0.5)), 1), mh)
        self.nx, self.ny = mw - self.ww + 1, mh - self.wh + 1
        ys, xs = np.meshgrid(np.arange(self.ny), np.arange(self.nx), indexing="ij")
        self.x, self.y = xs.ravel(), ys.ravel()  # row-major, as the C++ scans
        self.band = max(1, (min(self.ww, self.wh) + 16) // 32)
        self._sats = {}

    def _sat(self, name):
        if name not in self._sats:
            self._sats[name] = sat(self.planes[name])
        return self._sats[name]

    def share(self, name):
        if name not in self.planes:  # a cue the backend lacks: its combined map (as the C++)
            name = "saliency"
        s = self._sat(name)
        total = s[-1, -1]
        if not total > 0:
            return np.zeros(len(self.x))
        return box_sum(s, self.x, self.y, self.x + self.ww, self.y + self.wh) / total

    def cut(self, name):
        if name not in self.planes:
            return np.zeros(len(self.x))
        s = self._sat(name)
        mw, mh = self.meta["width"], self.meta["height"]
        mean = s[-1, -1] / (float(mw) * mh)
        if not mean > 0:
            return np.zeros(len(self.x))
        x, y, ww, wh = self.x, self.y, self.ww, self.wh
        bx, by = min(self.band, ww), min(self.band, wh)
        side, top = float(bx) * wh, float(ww) * by
        zero = np.zeros(len(x))
        parts = [(x > 0, box_sum(s, x, y, x + bx, y + wh) / side),
                 (x + ww < mw, box_sum(s, x + ww - bx, y, x + ww, y + wh) / side),
                 (y > 0, box_sum(s, x, y, x + ww, y + by) / top),
                 (y + wh < mh, box_sum(s, x, y + wh - by, x + ww, y + wh) / top)]
        total, borders = zero, np.zeros(len(x), dtype=int)
        for inside, density in parts:  # summed in the C++ order, skipping borders on the photo's edge
            total = np.where(inside, total + density, total)
            borders = borders + inside
        return np.where(borders > 0, total / (np.maximum(borders, 1) * mean), zero)

    def base(self, name):
        if name.startswith("share:"):
            return self.share(name[6:])
        if name == "cut_edges":
            return self.cut("edges")
        if name == "cut_saliency":
            return self.cut("saliency")
        if name == "offset_x2":
            f = (2.0 * self.x - (self.nx - 1)) * 0.5 / self.meta["width"]
            return f * f
        if name == "offset_y2":
            f = (2.0 * self.y - (self.ny - 1)) * 0.5 / self.meta["height"]
            return f * f
        raise ValueError("unknown window feature %r" % name)

    def feature(self, name):
        gate = min(max(self.meta["gate"], 0.0), 1.0)
        if name.startswith("gate*"):
            return self.base(name[5:]) * gate
        if name.startswith("doubt*"):
            return self.base(name[6:]) * (1.0 - gate)
        return self.base(name)

    def matrix(self, names):
        """Features [positions, len(names)], unscaled."""
        return np.stack([self.feature(n) for n in names], axis=1)

    def boxes(self):
        """Original-pixel boxes [positions, 4] (x, y, w, h), placed as the C++ places them."""
        m = self.meta
        W, H = m["image_width"], m["image_height"]
        cx = (self.x + self.ww / 2.0) * m["scale_x"]
        cy = (self.y + self.wh / 2.0) * m["scale_y"]
        bx = np.clip(np.floor(cx - self.size[0] / 2.0 + 0.5), 0, W - self.size[0])
        by = np.clip(np.floor(cy - self.size[1] / 2.0 + 0.5), 0, H - self.size[1])
        n = len(bx)
        return np.stack([bx, by, np.full(n, self.size[0]), np.full(n, self.size[1])], axis=1)

    def central_order(self):
        """Squared centre distance in half-pixels: the C++ tie rule's key."""
        return (2 * self.x - (self.nx - 1)) ** 2 + (2 * self.y - (self.ny - 1)) ** 2


def scores(features, weights, scales):
    """The model score per position, accumulated as the C++ does."""
    s = np.zeros(features.shape[0])
    for i in range(features.shape[1]):
        s = s + weights[i] * features[:, i] / scales[i]
    return s


def best_position(windows, score):
    """Index of the chosen window: best score, ties (1e-9) to the most central, then the first."""
    near = np.flatnonzero(score >= score.max() - 1e-9)
    d = windows.central_order()[near]
    return int(near[np.argmin(d)])


def iou(boxes, gt):
    ix = np.clip(np.minimum(boxes[:, 0] + boxes[:, 2], gt[0] + gt[2]) - np.maximum(boxes[:, 0], gt[0]), 0, None)
    iy = np.clip(np.minimum(boxes[:, 1] + boxes[:, 3], gt[1] + gt[3]) - np.maximum(boxes[:, 1], gt[1]), 0, None)
    inter = ix * iy
    union = boxes[:, 2] * boxes[:, 3] + gt[2] * gt[3] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def pairwise_iou(windows):
    """IoU of every pair of candidate windows (all one size), map pixels."""
    dx = np.abs(windows.x[:, None] - windows.x[None, :])
    dy = np.abs(windows.y[:, None] - windows.y[None, :])
    inter = np.clip(windows.ww - dx, 0, None) * np.clip(windows.wh - dy, 0, None)
    area = float(windows.ww) * windows.wh
    return inter / (2.0 * area - inter)


def expected_iou_position(windows, score):
    """Index of the window with the highest expected IoU with the model's choice
    when positions are drawn with probability softmax(score): the peak when the
    model is sure, the middle of the plausible positions when it is not."""
    p = np.exp(score - score.max())
    p = p / p.sum()
    return best_position(windows, pairwise_iou(windows) @ p)
