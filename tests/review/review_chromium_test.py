#!/usr/bin/python3
"""Opens a batch's review page in headless Chromium, as a reviewer would.

Checks that every strip image loads (none broken), that photos are listed
least confident first with the failed one on top, and that a screenshot of the
page shows the strips. Exits 77 (CTest SKIP_RETURN_CODE) only if Chromium is
not installed.

Usage: review_chromium_test.py SMARTCROP_BINARY
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

import cv2
import numpy as np

SKIP = 77


def find_chromium():
    for name in (os.environ.get("CHROMIUM", ""), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def make_photos(folder):
    """Grey photos with a red subject; the subject's place sets how confident the crop can be."""
    rng = np.random.default_rng(4)
    specs = {  # name: (width, height, subject x, subject y, radius)
        "centred.jpg": (900, 600, 450, 300, 90),
        "corner.jpg": (900, 600, 120, 110, 50),
        "portrait.jpg": (500, 900, 250, 650, 70),
        "panorama.jpg": (2400, 400, 2000, 200, 60),
    }
    for name, (w, h, x, y, r) in specs.items():
        img = cv2.GaussianBlur(rng.integers(70, 160, (h, w, 3), dtype=np.uint8), (9, 9), 0)
        cv2.circle(img, (x, y), r, (40, 40, 230), -1)
        assert cv2.imwrite(os.path.join(folder, name), img)
    with open(os.path.join(folder, "broken.jpg"), "wb") as f:
        f.write(b"\xff\xd8 this is not a JPEG")
    return len(specs)


def chromium(browser, profile, *args):
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--user-data-dir=" + profile, "--virtual-time-budget=15000", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        sys.exit("chromium failed (%d): %s" % (done.returncode, done.stderr[-2000:]))
    return done.stdout


def loaded_images(browser, profile, page):
    """Returns (checked, broken) as the page's own check script reports them."""
    dom = chromium(browser, profile, "--dump-dom", "file://" + page + "#check")
    body = re.search(r"<body([^>]*)>", dom)
    assert body, "no <body> in the dumped DOM"
    checked = re.search(r'data-images-checked="(\d+)"', body.group(1))
    broken = re.search(r'data-images-broken="(\d+)"', body.group(1))
    assert checked and broken, "the image check did not finish: " + body.group(0)
    return int(checked.group(1)), int(broken.group(1)), dom


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    binary = sys.argv[1]
    browser = find_chromium()
    if browser is None:
        print("SKIP: chromium is not installed (apt-get install chromium)")
        return SKIP
    work = tempfile.mkdtemp(prefix="smartcrop_review_")
    profile = tempfile.mkdtemp(prefix="smartcrop_chromium_")
    try:
        photos = os.path.join(work, "photos")
        os.makedirs(photos)
        count = make_photos(photos)
        review = os.path.join(work, "review")
        run = subprocess.run([binary, "--backend", "saliency", photos, "-r", "16:9", "-r", "1:1",
                              "--compare", os.path.join(work, "strips"), "--review", review],
                             capture_output=True, text=True, timeout=300)
        assert run.returncode == 1, "one photo is broken, so exit 1: %d %s" % (run.returncode, run.stderr)
        page = os.path.join(review, "index.html")
        html = open(page, encoding="utf-8").read()
        assert not re.search(r"https?://", html), "the page must work offline"

        checked, broken, dom = loaded_images(browser, profile, page)
        assert checked == count, "expected %d strips, the page has %d images" % (count, checked)
        assert broken == 0, "%d broken images" % broken

        sections = re.findall(r'<section class="photo( failed)?"[^>]*data-name="([^"]*)"'
                              r'(?: data-confidence="([0-9.e-]+)")?', dom)
        assert len(sections) == count + 1, sections
        assert sections[0][0] == " failed" and sections[0][1].endswith("broken.jpg"), sections[0]
        confidences = [float(c) for failed, _, c in sections[1:]]
        assert not any(f for f, _, _ in sections[1:]), sections
        assert confidences == sorted(confidences), "not least confident first: %s" % confidences
        print("order:", [(os.path.basename(n), c) for _, n, c in sections])

        shot = os.path.join(work, "page.png")
        chromium(browser, profile, "--screenshot=" + shot, "--window-size=1280,2400", "--hide-scrollbars",
                 "file://" + page)
        image = cv2.imread(shot)
        assert image is not None and image.shape[1] == 1280, "no screenshot"
        red = cv2.inRange(image, (0, 0, 160), (110, 110, 255))
        assert cv2.countNonZero(red) > 500, "the screenshot shows no strip (no red subjects visible)"
        print("screenshot %dx%d, %d subject pixels" % (image.shape[1], image.shape[0], cv2.countNonZero(red)))

        # The check must notice a missing thumbnail, or a pass above means nothing.
        thumbs = sorted(os.listdir(os.path.join(review, "strips")))
        os.remove(os.path.join(review, "strips", thumbs[0]))
        checked, broken, _ = loaded_images(browser, profile, page)
        assert broken == 1, "a deleted thumbnail was not reported broken (%d)" % broken
        print("ok: %d images loaded, order least confident first, missing image detected" % count)
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
