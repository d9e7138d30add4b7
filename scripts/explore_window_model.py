#!/usr/bin/python3
"""Experiments around the learned window that did not change the shipped model
(docs/QUALITY.md, "Against the fixation gap"). Each prints the table quoted there.

    /usr/bin/python3 scripts/explore_window_model.py --data /tmp/eval/data --maps /tmp/smartcrop-maps EXPERIMENT

EXPERIMENT:
  ranges       the shipped model on fcdb/train: gain over the centre crop by how far
               the window can slide (vertically, horizontally)
  variants     5-fold CV on fcdb/train (the fitter's folds and fit) of the shipped
               features plus one extra feature each, and of a fit that also asks for
               16:9, 4:5 and 1:1 crops scored by the share of the human box they keep
  lowres       the shipped model on fcdb/train photos downscaled to a 256 px short
               side (the size of most Scene photos) against the full-size photos
  temperature  FEASIBILITY ONLY, on dev: the shipped weights with the decision's
               softmax flattened by T = 1 .. 5 (nothing is chosen from it)

Maps come from the binary's dumps, as for scripts/fit_window_model.py (`--bin`
writes the missing ones). Extra features exist only here, in numpy.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fit_window_model as fm  # noqa: E402
import window_features as wf  # noqa: E402

FIXED_RATIOS = [(16, 9), (4, 5), (1, 1)]


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


SHIPPED = fm.VARIANTS["gated+cuts+doubt"]
EXTRA = {
    "+ centroid balance (centroid_x2, centroid_y2)": SHIPPED + ["centroid_x2", "centroid_y2"],
    "+ thirds (thirds_x, thirds_y)": SHIPPED + ["thirds_x", "thirds_y"],
    "+ linear offsets (doubt*abs_offset_x/y)": SHIPPED + ["doubt*abs_offset_x", "doubt*abs_offset_y"],
    "+ centre-weighted share (centre_share)": SHIPPED + ["centre_share"],
    "+ gate*centre_share": SHIPPED + ["gate*centre_share"],
    "cuts with photo edges counted (ncut_*)": [f for f in SHIPPED if not f.startswith("cut")] + ["ncut_edges",
                                                                                                "ncut_saliency"],
    "+ edge_touch": SHIPPED + ["edge_touch"],
}


class Request:
    """One request on one photo: every window's features and its score against the human box
    (IoU for the box's own aspect, share of the box kept over the best position's otherwise)."""

    def __init__(self, meta, planes, aw, ah, gt, names, kind):
        self.kind = kind
        self.windows = ExtendedWindows(meta, planes, aw, ah)
        self.features = self.windows.matrix(names)
        boxes = self.windows.boxes()
        if kind == "box":
            self.value = wf.iou(boxes, gt)
        else:
            ix = np.clip(np.minimum(boxes[:, 0] + boxes[:, 2], gt[0] + gt[2]) - np.maximum(boxes[:, 0], gt[0]), 0, None)
            iy = np.clip(np.minimum(boxes[:, 1] + boxes[:, 3], gt[1] + gt[3]) - np.maximum(boxes[:, 1], gt[1]), 0, None)
            kept = ix * iy
            self.value = kept / kept.max() if kept.max() > 0 else np.ones(len(kept))
        self.centre = int(np.argmin(self.windows.central_order()))
        self.hard = kind == "box" and self.value[self.centre] < 0.6


def load_requests(items, maps, names):
    photos = []
    for it in items:
        meta, planes = wf.load_dump(maps, it["path"])
        gt = it["boxes"][0]
        reqs = [Request(meta, planes, gt[2], gt[3], gt, names, "box")]
        for aw, ah in FIXED_RATIOS:
            r = Request(meta, planes, aw, ah, gt, names, "%d:%d" % (aw, ah))
            if len(r.value) > 1:
                reqs.append(r)
        photos.append(reqs)
    return photos


def stack(reqs, columns, weights):
    n, p = len(reqs), max(len(r.value) for r in reqs)
    X, Y, M = np.zeros((n, p, len(columns))), np.zeros((n, p)), np.zeros((n, p), dtype=bool)
    for i, r in enumerate(reqs):
        k = len(r.value)
        X[i, :k], Y[i, :k], M[i, :k] = r.features[:, columns], r.value * weights[i], True
    return X, Y, M


def cross_validate(photos, names, features, cover_weight):
    """{kind: (model, centre, model on hard)} over the held-out folds of fm's 5-fold split."""
    columns = [names.index(n) for n in features]
    boxes = [ph[0] for ph in photos]
    dev = np.concatenate([r.features[:, columns] - r.features[:, columns].mean(0) for r in boxes])
    scales = np.array([s if s > 1e-12 else 1.0 for s in np.sqrt((dev ** 2).mean(0))])
    folds = np.arange(len(photos)) % fm.FOLDS
    rows = {}
    for k in range(fm.FOLDS):
        train = [r for ph, f in zip(photos, folds) if f != k for r in ph if cover_weight > 0 or r.kind == "box"]
        X, Y, M = stack(train, columns, [1.0 if r.kind == "box" else cover_weight for r in train])
        w = fm.fit(X / scales, Y, M, 1e-3)
        for ph in (ph for ph, f in zip(photos, folds) if f == k):
            for r in ph:
                i = fm.choose(r.windows, wf.scores(r.features[:, columns], w, scales), "expected_iou")
                rows.setdefault(r.kind, []).append((r.value[i], r.value[r.centre], r.hard))
    out = {}
    for kind, v in rows.items():
        v = np.array(v, dtype=float)
        out[kind] = (v[:, 0].mean(), v[:, 1].mean(), v[v[:, 2] > 0, 0].mean() if kind == "box" else float("nan"))
    return out


def experiment_variants(items, maps):
    trials = [("shipped (gated+cuts+doubt)", SHIPPED, 0.0)] + [(k, v, 0.0) for k, v in EXTRA.items()]
    trials += [("shipped, + fixed-ratio coverage x%g" % w, SHIPPED, w) for w in (0.25, 1.0)]
    names = sorted({n for _, v, _ in trials for n in v})
    photos = load_requests(items, maps, names)
    print("| variant | train-CV IoU / hard | box kept/oracle at 16:9 / 4:5 / 1:1 |")
    print("|---|---|---|")
    for label, features, cover in trials:
        r = cross_validate(photos, names, features, cover)
        print("| %s | %.4f / %.3f | %s (centre %s) |" % (
            label, r["box"][0], r["box"][2], " / ".join("%.4f" % r[k][0] for k in ("16:9", "4:5", "1:1")),
            " / ".join("%.4f" % r[k][1] for k in ("16:9", "4:5", "1:1"))), flush=True)


def shipped_choice(model, meta, planes, aw, ah, windows_cls=wf.Windows, temperature=1.0):
    w = windows_cls(meta, planes, aw, ah)
    s = wf.scores(w.matrix(model["features"]), model["weights"], model["scales"]) / temperature
    return w, fm.choose(w, s, model["decision"]), int(np.argmin(w.central_order()))


def experiment_ranges(items, maps, model):
    rows = []
    for it in items:
        meta, planes = wf.load_dump(maps, it["path"])
        gt = it["boxes"][0]
        w, i, c = shipped_choice(model, meta, planes, gt[2], gt[3])
        y = wf.iou(w.boxes(), gt)
        slide_y = 1 - w.size[1] / meta["image_height"]
        slide_x = 1 - w.size[0] / meta["image_width"]
        rows.append((slide_y, slide_x, y[i] - y[c], y.max() - y[c]))
    r = np.array(rows)
    print("| slides | free range (share of the side) | requests | gain over centre | oracle's gain |")
    print("|---|---|---|---|---|")
    for label, col in (("vertically", 0), ("horizontally", 1)):
        for lo, hi in ((0.001, 0.1), (0.1, 0.2), (0.2, 0.35), (0.35, 1.0)):
            m = (r[:, col] >= lo) & (r[:, col] < hi)
            if m.any():
                print("| %s | %.2f-%.2f | %d | %+.4f | %+.4f |" % (label, lo, hi, m.sum(), r[m, 2].mean(), r[m, 3].mean()))


def experiment_lowres(items, maps, model, binary):
    import cv2
    with tempfile.TemporaryDirectory() as tmp:
        small_items, lines = [], []
        for it in items:
            image = cv2.imread(it["path"])
            h, w = image.shape[:2]
            s = 256.0 / min(h, w)
            nw, nh = int(round(w * s)), int(round(h * s))
            path = os.path.join(tmp, "low", os.path.basename(it["path"]))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            cv2.imwrite(path, cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA), [cv2.IMWRITE_JPEG_QUALITY, 90])
            b = it["boxes"][0]
            small_items.append(dict(it, path=path, boxes=[[b[0] * nw / w, b[1] * nh / h, b[2] * nw / w, b[3] * nh / h]]))
            lines.append("%s\t1\t1\n" % path)
        with open(os.path.join(tmp, "requests.tsv"), "w") as f:
            f.writelines(lines)
        low_maps = os.path.join(tmp, "maps")
        os.makedirs(low_maps)
        subprocess.run([binary, "--quiet", "--backend", "saliency", "--strategy", "mass", "--requests",
                        os.path.join(tmp, "requests.tsv"), "--dump-maps", low_maps], check=True, stdout=subprocess.DEVNULL)
        for label, its, mdir in (("full size", items, maps), ("256 px short side", small_items, low_maps)):
            ious, centres = [], []
            for it in its:
                meta, planes = wf.load_dump(mdir, it["path"])
                gt = it["boxes"][0]
                w, i, c = shipped_choice(model, meta, planes, gt[2], gt[3])
                y = wf.iou(w.boxes(), gt)
                ious.append(y[i])
                centres.append(y[c])
            ious, centres = np.array(ious), np.array(centres)
            print("%-18s shipped %.4f  hard %.4f  centre %.4f" % (label, ious.mean(), ious[centres < 0.6].mean(),
                                                                  centres.mean()))


def fixation_counter(item):
    W, H = int(item["width"]), int(item["height"])
    pts = item["fixations"]
    pts = json.loads(pts) if isinstance(pts, str) else pts
    grid = np.zeros((H, W))
    for p in pts:
        grid[min(max(int(np.floor(p[1])), 0), H - 1), min(max(int(np.floor(p[0])), 0), W - 1)] += 1
    s = wf.sat(grid)

    def count(b):
        x0, y0 = int(round(b[0])), int(round(b[1]))
        x1, y1 = int(round(b[0] + b[2])), int(round(b[1] + b[3]))
        return wf.box_sum(s, max(0, x0), max(0, y0), min(W, x1), min(H, y1))

    def best(w, h):
        w, h = max(1, min(W, int(round(w)))), max(1, min(H, int(round(h))))
        return (s[h:, w:] - s[:-h, w:] - s[h:, :-w] + s[:-h, :-w]).max()
    return count, best


def experiment_temperature(data, maps, model):
    with open(os.path.join(data, "annotations.json")) as f:
        dev = [it for it in json.load(f)["items"] if it.get("split") == "dev"]
    print("FEASIBILITY CHECK on dev: nothing is chosen from this table.")
    print("| T | FCDB dev IoU / hard | Scene kept/oracle 16:9 / 4:5 / 1:1 |")
    print("|---|---|---|")
    for t in (1.0, 1.5, 2.0, 3.0, 5.0, float("inf")):
        box, hard, kept = [], [], {r: [] for r in FIXED_RATIOS}
        for it in dev:
            meta, planes = wf.load_dump(maps, os.path.join(data, it["image"]))
            if it["dataset"] == "fcdb":
                gt = it["boxes"][0]
                w, i, c = shipped_choice(model, meta, planes, gt[2], gt[3], temperature=t if t < 1e9 else 1.0)
                y = wf.iou(w.boxes(), gt)
                box.append(y[c] if t > 1e9 else y[i])
                hard.append(y[c] < 0.6)
                continue
            count, best = fixation_counter(it)
            for aw, ah in FIXED_RATIOS:
                w, i, c = shipped_choice(model, meta, planes, aw, ah, temperature=t if t < 1e9 else 1.0)
                if w.nx == 1 and w.ny == 1:
                    continue  # trivial: the whole photo
                b = w.boxes()
                top = best(b[0][2], b[0][3])
                if top > 0:
                    kept[(aw, ah)].append(count(b[c] if t > 1e9 else b[i]) / top)
        box, hard = np.array(box), np.array(hard)
        print("| %s | %.4f / %.3f | %s |" % ("centre" if t > 1e9 else "%g" % t, box.mean(), box[hard].mean(),
                                            " / ".join("%.4f" % np.mean(kept[r]) for r in FIXED_RATIOS)), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("experiment", choices=["ranges", "variants", "lowres", "temperature"])
    ap.add_argument("--data", required=True, help="the harness's data folder (annotations.json, images/)")
    ap.add_argument("--maps", default="/tmp/smartcrop-maps")
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "build", "smartcrop"))
    ap.add_argument("--model", default=os.path.join(HERE, "..", "models", "window_model.json"))
    a = ap.parse_args()
    with open(a.model) as f:
        model = json.load(f)
    train = fm.load_items(a.data, "train")
    fm.ensure_maps(train, a.maps, a.bin)
    if a.experiment == "ranges":
        experiment_ranges(train, a.maps, model)
    elif a.experiment == "variants":
        experiment_variants(train, a.maps)
    elif a.experiment == "lowres":
        experiment_lowres(train, a.maps, model, a.bin)
    else:
        with open(os.path.join(a.data, "annotations.json")) as f:
            dev = [dict(it, path=os.path.abspath(os.path.join(a.data, it["image"]))) for it in json.load(f)["items"]
                   if it.get("split") == "dev"]
        fm.ensure_maps(dev, a.maps, a.bin)
        experiment_temperature(a.data, a.maps, model)


if __name__ == "__main__":
    main()
