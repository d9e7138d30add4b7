#!/usr/bin/python3
"""Experiments around the learned window that did not change the shipped model
(docs/QUALITY.md, "Against the fixation gap"). Each prints the table quoted there.

    /usr/bin/python3 scripts/quality/explore_window_model.py --data /tmp/eval/data --maps /tmp/smartcrop-maps \\
        EXPERIMENT [--dev]

EXPERIMENT:
  ranges       the shipped model on fcdb/train: gain over the centre crop by how far
               the window can slide (vertically, horizontally)
  variants     5-fold CV on fcdb/train (the fitter's folds and fit) of the shipped
               features with one cue left out, with one extra feature, with another
               decision, and of fits that also ask for 16:9, 4:5 and 1:1 crops scored
               by the share of the human box they keep
  bms          the same with a fourth content cue, Boolean Map Saliency (Zhang &
               Sclaroff 2013: regions of thresholded Lab channels not connected to
               the photo's border), computed in numpy/OpenCV at the map grid
  lowres       the shipped model on fcdb/train photos downscaled to a 256 px short
               side (the size of most Scene photos) against the full-size photos
  temperature  FEASIBILITY ONLY, on dev: the shipped weights with the decision's
               softmax flattened by T = 1 .. 5 (nothing is chosen from it)
--dev also scores each variant, fitted on all of train, on dev (FCDB boxes and
Scene fixations): a confirmation, never a choice.

Maps come from the binary's dumps, as for scripts/quality/fit_window_model.py (`--bin`
writes the missing ones).
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
import explore_features as xf  # noqa: E402
import fit_window_model as fm  # noqa: E402
import window_features as wf  # noqa: E402

FIXED_RATIOS = [(16, 9), (4, 5), (1, 1)]
SHIPPED = fm.VARIANTS["gated+cuts+doubt"]
CUES = ["gate*share:fine", "gate*share:spectral", "gate*share:border"]


def variant_trials():
    """(label, features, fixed-ratio coverage weight, decision) of the `variants` table."""
    extra = [
        ("+ centroid balance (centroid_x2, centroid_y2)", SHIPPED + ["centroid_x2", "centroid_y2"]),
        ("+ thirds (thirds_x, thirds_y)", SHIPPED + ["thirds_x", "thirds_y"]),
        ("+ linear offsets (doubt*abs_offset_x/y)", SHIPPED + ["doubt*abs_offset_x", "doubt*abs_offset_y"]),
        ("+ centre-weighted share (centre_share)", SHIPPED + ["centre_share"]),
        ("+ gate*centre_share", SHIPPED + ["gate*centre_share"]),
        ("cuts with photo edges counted (ncut_*)",
         [f for f in SHIPPED if not f.startswith("cut")] + ["ncut_edges", "ncut_saliency"]),
        ("+ edge_touch", SHIPPED + ["edge_touch"]),
    ]
    trials = [("shipped (gated+cuts+doubt)", SHIPPED, 0.0, "expected_iou")]
    trials += [("without " + c[10:], [f for f in SHIPPED if f != c], 0.0, "expected_iou") for c in CUES]
    trials += [(label, v, 0.0, "expected_iou") for label, v in extra]
    trials += [("shipped, decision expected share kept", SHIPPED, 0.0, "expected_cover")]
    trials += [("shipped, fitted also on fixed-ratio coverage x%g" % w, SHIPPED, w, "expected_iou")
               for w in (0.25, 1.0)]
    return trials


def bms_trials():
    return [("shipped", SHIPPED, 0.0, "expected_iou"),
            ("+ gate*share:bms", SHIPPED + ["gate*share:bms"], 0.0, "expected_iou"),
            ("+ share:bms", SHIPPED + ["share:bms"], 0.0, "expected_iou"),
            ("+ gate*share:bms + cut_bms", SHIPPED + ["gate*share:bms", "cut_bms"], 0.0, "expected_iou"),
            ("bms instead of fine", [f if f != "gate*share:fine" else "gate*share:bms" for f in SHIPPED], 0.0,
             "expected_iou")]


def expected_cover_position(windows, score):
    """The window keeping the most of the model's choice on average (overlap / area, not IoU)."""
    p = np.exp(score - score.max())
    p /= p.sum()
    dx = np.abs(windows.x[:, None] - windows.x[None, :])
    dy = np.abs(windows.y[:, None] - windows.y[None, :])
    cover = np.clip(windows.ww - dx, 0, None) * np.clip(windows.wh - dy, 0, None) / float(windows.ww * windows.wh)
    return wf.best_position(windows, cover @ p)


def choose(windows, score, decision):
    if decision == "expected_cover":
        return expected_cover_position(windows, score)
    return fm.choose(windows, score, decision)


class Request:
    """One request on one photo: every window's features and its score against the human box
    (IoU for the box's own aspect, share of the box kept over the best position's otherwise)."""

    def __init__(self, meta, planes, aw, ah, gt, names, kind):
        self.kind = kind
        self.windows = xf.ExtendedWindows(meta, planes, aw, ah)
        self.features = self.windows.matrix(names)
        self.windows._sats.clear()  # summed-area tables of every plane: ~1 MB each, thousands of requests
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


def fit_on(photos, columns, scales, cover_weight):
    train = [r for ph in photos for r in ph if cover_weight > 0 or r.kind == "box"]
    X, Y, M = stack(train, columns, [1.0 if r.kind == "box" else cover_weight for r in train])
    return fm.fit(X / scales, Y, M, 1e-3)


def cross_validate(photos, names, features, cover_weight, decision):
    """({kind: (model, centre, model on hard)} over the held-out folds, all-train weights, scales)."""
    columns = [names.index(n) for n in features]
    boxes = [ph[0] for ph in photos]
    spread = np.concatenate([r.features[:, columns] - r.features[:, columns].mean(0) for r in boxes])
    scales = np.array([s if s > 1e-12 else 1.0 for s in np.sqrt((spread ** 2).mean(0))])
    folds = np.arange(len(photos)) % fm.FOLDS
    rows = {}
    for k in range(fm.FOLDS):
        w = fit_on([ph for ph, f in zip(photos, folds) if f != k], columns, scales, cover_weight)
        for ph in (ph for ph, f in zip(photos, folds) if f == k):
            for r in ph:
                i = choose(r.windows, wf.scores(r.features[:, columns], w, scales), decision)
                rows.setdefault(r.kind, []).append((r.value[i], r.value[r.centre], r.hard))
    out = {}
    for kind, v in rows.items():
        v = np.array(v, dtype=float)
        out[kind] = (v[:, 0].mean(), v[:, 1].mean(), v[v[:, 2] > 0, 0].mean() if kind == "box" else float("nan"))
    return out, fit_on(photos, columns, scales, cover_weight), scales


def fixation_counter(item):
    """(count(box), best(w, h)) of the item's fixations, as the harness counts them."""
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


def dev_scores(data, maps, features, weights, scales, decision, temperature=1.0, centre=False):
    """FCDB dev (IoU, hard IoU) and Scene dev kept/oracle per fixed ratio, for one model."""
    with open(os.path.join(data, "annotations.json")) as f:
        dev = [it for it in json.load(f)["items"] if it.get("split") == "dev"]
    box, hard, kept = [], [], {r: [] for r in FIXED_RATIOS}

    def pick(meta, planes, aw, ah):
        w = xf.ExtendedWindows(meta, planes, aw, ah)
        c = int(np.argmin(w.central_order()))
        if centre:
            return w, c, c
        return w, choose(w, wf.scores(w.matrix(features), weights, scales) / temperature, decision), c
    for it in dev:
        meta, planes = wf.load_dump(maps, os.path.join(data, it["image"]))
        if it["dataset"] == "fcdb":
            gt = it["boxes"][0]
            w, i, c = pick(meta, planes, gt[2], gt[3])
            y = wf.iou(w.boxes(), gt)
            box.append(y[i])
            hard.append(y[c] < 0.6)
            continue
        count, best = fixation_counter(it)
        for aw, ah in FIXED_RATIOS:
            w, i, _ = pick(meta, planes, aw, ah)
            if w.nx == 1 and w.ny == 1:
                continue  # trivial: the whole photo
            b = w.boxes()
            top = best(b[0][2], b[0][3])
            if top > 0:
                kept[(aw, ah)].append(count(b[i]) / top)
    box, hard = np.array(box), np.array(hard)
    return "%.4f / %.3f | %s" % (box.mean(), box[hard].mean(), " / ".join("%.4f" % np.mean(kept[r]) for r in FIXED_RATIOS))


def experiment_table(items, maps, trials, data=None):
    names = sorted({n for _, v, _, _ in trials for n in v})
    photos = load_requests(items, maps, names)
    head = "| variant | train-CV IoU / hard | box kept/oracle at 16:9 / 4:5 / 1:1 |"
    print(head + (" dev FCDB IoU / hard | dev Scene 16:9 / 4:5 / 1:1 |" if data else ""))
    print("|---|---|---|" + ("---|---|" if data else ""))
    for label, features, cover, decision in trials:
        r, w, scales = cross_validate(photos, names, features, cover, decision)
        row = "| %s | %.4f / %.3f | %s |" % (label, r["box"][0], r["box"][2],
                                             " / ".join("%.4f" % r[k][0] for k in ("16:9", "4:5", "1:1")))
        if data:
            row += " %s |" % dev_scores(data, maps, features, w, scales, decision)
        print(row, flush=True)
    print("centre crop: box kept/oracle %s" % " / ".join(
        "%.4f" % np.mean([r.value[r.centre] for ph in photos for r in ph if r.kind == k]) for k in ("16:9", "4:5", "1:1")))


def with_bms_planes():
    """Makes wf.load_dump add a 'bms' plane, cached beside the dumps as .bms.npy."""
    import cv2
    load = wf.load_dump

    def load_with_bms(maps_dir, path):
        meta, planes = load(maps_dir, path)
        cache = os.path.join(maps_dir, wf.dump_stem(path) + ".bms.npy")
        if not os.path.exists(cache):
            np.save(cache, xf.boolean_map_saliency(cv2.imread(path), meta["width"], meta["height"]))
        return meta, dict(planes, bms=np.load(cache))
    wf.load_dump = load_with_bms


def shipped_choice(model, meta, planes, aw, ah):
    w = wf.Windows(meta, planes, aw, ah)
    s = wf.scores(w.matrix(model["features"]), model["weights"], model["scales"])
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


def experiment_temperature(data, maps, model):
    print("FEASIBILITY CHECK on dev: nothing is chosen from this table.")
    print("| T | FCDB dev IoU / hard | Scene kept/oracle 16:9 / 4:5 / 1:1 |")
    print("|---|---|---|")
    for t in (1.0, 1.5, 2.0, 3.0, 5.0):
        print("| %g | %s |" % (t, dev_scores(data, maps, model["features"], model["weights"], model["scales"],
                                             model["decision"], temperature=t)), flush=True)
    print("| centre crop | %s |" % dev_scores(data, maps, [], [], [], "argmax", centre=True))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("experiment", choices=["ranges", "variants", "bms", "lowres", "temperature"])
    ap.add_argument("--data", required=True, help="the harness's data folder (annotations.json, images/)")
    ap.add_argument("--maps", default="/tmp/smartcrop-maps")
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "..", "build", "smartcrop"))
    ap.add_argument("--model", default=os.path.join(HERE, "..", "..", "models", "window_model.json"))
    ap.add_argument("--dev", action="store_true", help="also score each variant on dev (confirmation only)")
    a = ap.parse_args()
    with open(a.model) as f:
        model = json.load(f)
    train = fm.load_items(a.data, "train")
    fm.ensure_maps(train, a.maps, a.bin)
    if a.dev or a.experiment == "temperature":
        with open(os.path.join(a.data, "annotations.json")) as f:
            fm.ensure_maps([dict(it, path=os.path.abspath(os.path.join(a.data, it["image"])))
                            for it in json.load(f)["items"] if it.get("split") == "dev"], a.maps, a.bin)
    if a.experiment == "ranges":
        experiment_ranges(train, a.maps, model)
    elif a.experiment == "variants":
        experiment_table(train, a.maps, variant_trials(), a.data if a.dev else None)
    elif a.experiment == "bms":
        with_bms_planes()
        experiment_table(train, a.maps, bms_trials(), a.data if a.dev else None)
    elif a.experiment == "lowres":
        experiment_lowres(train, a.maps, model, a.bin)
    else:
        experiment_temperature(a.data, a.maps, model)


if __name__ == "__main__":
    main()
