"""Candidate window features and a fourth content cue that were tried against the
learned window's fixation gap (scripts/quality/explore_window_model.py, docs/QUALITY.md).
They exist only here, in numpy: none of them is in the shipped model or the C++.
"""
import numpy as np

import window_features as wf


class ExtendedWindows(wf.Windows):
    """The shipped features plus the candidates tried here."""

    def _weighted_sat(self, key, weight):
        if key not in self._sats:
            self._sats[key] = wf.sat(self.planes["saliency"].astype(np.float64) * weight)
        return self._sats[key]

    def _centroid_offset(self, axis):
        """Saliency centroid inside the window minus the window's centre, in window sizes."""
        h, w = self.planes["saliency"].shape
        coord = (np.arange(w)[None, :] + 0.5) if axis == "x" else (np.arange(h)[:, None] + 0.5)
        mass = wf.box_sum(self._sat("saliency"), self.x, self.y, self.x + self.ww, self.y + self.wh)
        moment = wf.box_sum(self._weighted_sat(("moment", axis), coord), self.x, self.y, self.x + self.ww,
                            self.y + self.wh)
        start, size = (self.x, self.ww) if axis == "x" else (self.y, self.wh)
        return np.where(mass > 0, moment / np.maximum(mass, 1e-12) - (start + size / 2.0), 0.0) / size

    def _centre_share(self):
        """Share of the combined map weighted by a centre prior (Gaussian, sigma 1/4 of each side)."""
        h, w = self.planes["saliency"].shape
        gy = np.exp(-0.5 * ((np.arange(h) + 0.5 - h / 2.0) / (0.25 * h)) ** 2)
        gx = np.exp(-0.5 * ((np.arange(w) + 0.5 - w / 2.0) / (0.25 * w)) ** 2)
        s = self._weighted_sat(("centre",), gy[:, None] * gx[None, :])
        return wf.box_sum(s, self.x, self.y, self.x + self.ww, self.y + self.wh) / s[-1, -1]

    def _neutral_cut(self, name):
        """cut_* where a border lying on the photo's edge counts as the map's mean density
        (instead of being left out), over the borders that can move."""
        s = self._sat(name)
        mw, mh = self.meta["width"], self.meta["height"]
        mean = s[-1, -1] / (float(mw) * mh)
        x, y, ww, wh = self.x, self.y, self.ww, self.wh
        bx, by = min(self.band, ww), min(self.band, wh)
        bands = [(self.nx > 1, x > 0, wf.box_sum(s, x, y, x + bx, y + wh) / (float(bx) * wh)),
                 (self.nx > 1, x + ww < mw, wf.box_sum(s, x + ww - bx, y, x + ww, y + wh) / (float(bx) * wh)),
                 (self.ny > 1, y > 0, wf.box_sum(s, x, y, x + ww, y + by) / (float(ww) * by)),
                 (self.ny > 1, y + wh < mh, wf.box_sum(s, x, y + wh - by, x + ww, y + wh) / (float(ww) * by))]
        used = [np.where(inside, density / mean, 1.0) for movable, inside, density in bands if movable]
        return np.mean(used, axis=0) if used else np.zeros(len(x))

    def base(self, name):
        if name in ("centroid_x2", "centroid_y2"):
            return self._centroid_offset(name[9]) ** 2
        if name in ("thirds_x", "thirds_y"):  # centroid's distance from the nearer thirds line
            return np.abs(np.abs(self._centroid_offset(name[7])) - 1 / 6.0)
        if name in ("abs_offset_x", "abs_offset_y"):
            return np.sqrt(super().base("offset_" + name[-1] + "2"))
        if name == "centre_share":
            return self._centre_share()
        if name == "cut_bms":
            return self.cut("bms")
        if name in ("ncut_edges", "ncut_saliency"):
            return self._neutral_cut(name[5:])
        if name == "edge_touch":  # against a photo edge the window could move away from
            t = np.zeros(len(self.x))
            if self.ny > 1:
                t = t + ((self.y == 0) | (self.y == self.ny - 1))
            if self.nx > 1:
                t = t + ((self.x == 0) | (self.x == self.nx - 1))
            return t
        return super().base(name)



def boolean_map_saliency(bgr, width, height, step=8):
    """BMS at width x height: mean of the L2-normalised surrounded regions of every
    threshold of every Lab channel (and of its complement), blurred, scaled to mean 1."""
    import cv2
    lab = cv2.cvtColor(cv2.resize(bgr, (width, height), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2LAB)
    border = np.zeros((height, width), dtype=bool)
    border[0, :] = border[-1, :] = border[:, 0] = border[:, -1] = True
    acc = np.zeros((height, width))
    for c in range(3):
        channel = lab[:, :, c]
        for t in range(int(channel.min()) + step // 2, int(channel.max()), step):
            for b in (channel > t, channel <= t):
                _, labels = cv2.connectedComponents(b.astype(np.uint8), connectivity=4)
                surrounded = b & ~np.isin(labels, np.unique(labels[border & b]))
                if surrounded.any():
                    acc += surrounded / np.sqrt(surrounded.sum())
    acc = cv2.GaussianBlur(acc, (0, 0), max(1.0, 0.02 * max(width, height)))
    return (acc / acc.mean() if acc.mean() > 0 else acc).astype(np.float32)


