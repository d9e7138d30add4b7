#!/usr/bin/python3
"""Which saliency cues help: re-scores cue combinations on the evaluation set
with the same rule as `--strategy mass` (largest box of the human box's
aspect, most mass of the box-blurred map, map short side 240 px). A Python
mirror of the built-in backend, for choosing cues; the figures in
docs/QUALITY.md that name the binary come from scripts/quality/eval_quality.sh.

    /usr/bin/python3 scripts/quality/quality_ablation.py [/tmp/eval/data]
"""
import json
import os
import sys

import cv2
import numpy as np

DATA = sys.argv[1] if len(sys.argv) > 1 else "/tmp/eval/data"
SHORT, BLUR = 240, 15  # map short side; blur window in map px (--blur 30 at 480)
FACES = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_alt2.xml"


def max_box(W, H, r):
    return (min(W, int(round(H * r))), H) if W / H > r else (W, min(H, int(round(W / r))))


def iou(a, b):
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    i = max(0, x1 - x0) * max(0, y1 - y0)
    return i / (a[2] * a[3] + b[2] * b[3] - i)


def mass_window(m, sw, sh, prior):
    Hm, Wm = m.shape
    sw, sh = min(max(sw, 1), Wm), min(max(sh, 1), Hm)
    S = np.zeros((Hm + 1, Wm + 1))
    S[1:, 1:] = m.astype(np.float64).cumsum(0).cumsum(1)
    sums = (S[sh:, sw:] - S[:-sh, sw:] - S[sh:, :-sw] + S[:-sh, :-sw]) / max(S[-1, -1], 1e-12)
    ny, nx = sums.shape
    ys, xs = np.mgrid[0:ny, 0:nx]
    dx, dy = 2 * xs - (nx - 1), 2 * ys - (ny - 1)
    score = sums - prior * ((dx / (2 * Wm)) ** 2 + (dy / (2 * Hm)) ** 2)
    ok = score >= score.max() - 1e-9
    k = np.argmin(np.where(ok, dx * dx + dy * dy, np.iinfo(np.int64).max))
    return xs.flat[k] + sw / 2, ys.flat[k] + sh / 2


def cues(img, face_det):
    H, W = img.shape[:2]
    s = SHORT / min(W, H)
    small = cv2.resize(img, (round(W * s), round(H * s)), interpolation=cv2.INTER_AREA)
    h, w = small.shape[:2]
    _, fg = cv2.saliency.StaticSaliencyFineGrained_create().computeSaliency(small)
    _, sr = cv2.saliency.StaticSaliencySpectralResidual_create().computeSaliency(small)
    sr = cv2.resize(np.asarray(sr, np.float32), (w, h))
    k = 64 / min(w, h)  # spectral residual at 64 px short side, aspect kept (OpenCV's default is 64 x 64)
    sra = cv2.saliency.StaticSaliencySpectralResidual_create()
    sra.setImageWidth(round(w * k))
    sra.setImageHeight(round(h * k))
    sra = cv2.resize(np.asarray(sra.computeSaliency(small)[1], np.float32), (w, h))
    lab = cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_BGR2Lab).astype(np.float32), (5, 5), 0)
    b = max(2, min(w, h) // 12)
    dist = []
    for strip in (lab[:b], lab[-b:], lab[:, :b], lab[:, -b:]):
        px = strip.reshape(-1, 3)
        dist.append(((lab - px.mean(0)) ** 2).sum(2) / (px.std(0).mean() + 8) ** 2)
    g = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY).astype(np.float32)
    edges = np.hypot(cv2.Sobel(g, cv2.CV_32F, 1, 0), cv2.Sobel(g, cv2.CV_32F, 0, 1))
    faces = np.zeros((h, w), np.float32)
    for x, y, fw, fh in np.array(face_det.detectMultiScale(cv2.equalizeHist(g.astype(np.uint8)), 1.1, 4,
                                                           minSize=(12, 12))).reshape(-1, 4):
        faces[max(0, y - fh // 4):y + fh * 5 // 4, max(0, x - fw // 4):x + fw * 5 // 4] = 1
    return {"fg": np.asarray(fg, np.float32), "sr": sr, "sra": sra, "bd2": np.min(dist, 0), "edges": edges, "faces": faces}


def n(a):
    return a / (a.mean() + 1e-9)


def conc(a, p=2, top=0.2):
    """a (mean 1) weighted by the share of its mass in its top 20% pixels, to the power p."""
    s = np.sort(a.ravel())[::-1]
    return a * (s[:max(1, int(len(s) * top))].sum() / max(s.sum(), 1e-9)) ** p


COMBOS = {
    "fine-grained": lambda c: c["fg"],
    "spectral residual": lambda c: c["sr"],
    "border contrast^2": lambda c: c["bd2"],
    "edges (Sobel)": lambda c: c["edges"],
    "fg + sr": lambda c: n(c["fg"]) + n(c["sr"]),
    "fg + bd^2": lambda c: n(c["fg"]) + n(c["bd2"]),
    "fg + sr + bd^2 (built-in before)": lambda c: n(c["fg"]) + n(c["sr"]) + n(c["bd2"]),
    "fg + sr(aspect) + bd^2": lambda c: n(c["fg"]) + n(c["sra"]) + n(c["bd2"]),
    "fg + sr + bd^2, each x concentration^2": lambda c: conc(n(c["fg"])) + conc(n(c["sr"])) + conc(n(c["bd2"])),
    "fg + sr(aspect) + bd^2, each x concentration^1": lambda c: sum(conc(n(c[k]), 1) for k in ("fg", "sra", "bd2")),
    "fg + sr(aspect) + bd^2, each x concentration^2 (built-in)": lambda c: sum(conc(n(c[k])) for k in ("fg", "sra", "bd2")),
    "fg + sr(aspect) + bd^2, each x concentration^3": lambda c: sum(conc(n(c[k]), 3) for k in ("fg", "sra", "bd2")),
    "fg + sr + bd (not squared)": lambda c: n(c["fg"]) + n(c["sr"]) + n(np.sqrt(c["bd2"])),
    "fg + sr + bd^2 + edges": lambda c: n(c["fg"]) + n(c["sr"]) + n(c["bd2"]) + n(c["edges"]),
    "fg + sr + bd^2 + 3 x faces": lambda c: n(c["fg"]) + n(c["sr"]) + n(c["bd2"]) + 3 * c["faces"],
}
PRIORS = (0.0, 1.0, 4.0)


def main():
    items = json.load(open(os.path.join(DATA, "annotations.json")))["items"]
    face_det = cv2.CascadeClassifier(FACES)
    res = {(k, p): ([], []) for k in COMBOS for p in PRIORS}
    with_faces = 0
    for it in items:
        img = cv2.imread(os.path.join(DATA, it["image"]), cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
        H, W = img.shape[:2]
        c = cues(img, face_det)
        with_faces += bool(c["faces"].any())
        g = it["boxes"][0]
        w, h = max_box(W, H, g[2] / g[3])
        hard = iou(((W - w) // 2, (H - h) // 2, w, h), g) < 0.6
        for k, f in COMBOS.items():
            m = cv2.blur(f(c).astype(np.float32), (BLUR, BLUR), borderType=cv2.BORDER_CONSTANT)
            sx, sy = m.shape[1] / W, m.shape[0] / H
            for p in PRIORS:
                cx, cy = mass_window(m, round(w * sx), round(h * sy), p)
                x = min(max(0, int(np.floor(cx / sx - w / 2 + 0.5))), W - w)
                y = min(max(0, int(np.floor(cy / sy - h / 2 + 0.5))), H - h)
                v = iou((x, y, w, h), g)
                res[(k, p)][0].append(v)
                if hard:
                    res[(k, p)][1].append(v)
    print("| cues (mass window) | " + " | ".join("prior %g: all / hard" % p for p in PRIORS) + " |")
    print("|---|" + "---|" * len(PRIORS))
    for k in COMBOS:
        print("| %s | %s |" % (k, " | ".join("%.3f / %.3f" % (np.mean(res[(k, p)][0]), np.mean(res[(k, p)][1]))
                                            for p in PRIORS)))
    print("\n%d photos, %d hard, faces found in %d" % (len(items), len(res[(k, 0.0)][1]), with_faces))


if __name__ == "__main__":
    main()
