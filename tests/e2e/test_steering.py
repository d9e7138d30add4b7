"""End-to-end tests of steering the crop (issue 11): --focus, --keep, --hints, and the
face/focus regions stored in the file (XMP written with exiftool), on generated photos.

  SMARTCROP_BIN=build/smartcrop /usr/bin/python3 -m pytest tests/e2e/test_steering.py
"""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import cv2
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import images  # noqa: E402
import regions  # noqa: E402

BIN = os.environ.get("SMARTCROP_BIN", "smartcrop")
FAST = ["--backend", "saliency", "--input-size", "96"]

# The photo most tests use: 480x240 upright, the red disc (what the saliency picks)
# on the left, the region to keep on the right, out of reach of the automatic 1:1 crop.
W, H = 480, 240
SUBJECT = (80, 120)
FACE = (380, 90, 60, 60)  # upright pixels x, y, w, h


def run(*args, stdin=None):
    cmd = [BIN, *FAST, *map(str, args)]
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=300)


def records(stdout):
    return {Path(r["input"]).name: r for r in (json.loads(line) for line in stdout.splitlines() if line.strip())}


def contains(box, rect):
    x, y, w, h = box
    rx, ry, rw, rh = rect
    return x <= rx and y <= ry and x + w >= rx + rw and y + h >= ry + rh


def warnings_about(stderr, name):
    return [line for line in stderr.splitlines() if line.startswith("warning: ") and name in line]


def plain_photo(path, width=W, height=H, subject=SUBJECT):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), regions.upright_photo(width, height, subject))
    return path


def test_focus_near_the_right_edge_is_inside_and_centred_where_possible(tmp_path):
    p = plain_photo(tmp_path / "p.jpg", 640, 360, subject=(100, 180))
    r = run(p, "--json", "-r", "1:1,16:9,4:5", "--focus", "0.95,0.5")
    assert r.returncode == 0, r.stderr
    rec = records(r.stdout)["p.jpg"]
    assert rec["steered_by"] == "flags" and rec["focus"] == [608.0, 180.0]
    for crop in rec["crops"]:
        x, y, w, h = crop["box"]
        assert contains(crop["box"], (608, 180, 0, 0)), crop
        # As centred as the edges allow: the window is pushed against the right edge.
        assert x == min(640 - w, max(0, round(608 - w / 2))), crop
        assert y == min(360 - h, max(0, round(180 - h / 2))), crop
    # Away from the edges, exactly centred; pixels and fractions mean the same point.
    by_fraction = records(run(p, "--json", "-r", "4:5", "--focus", "0.6,0.5").stdout)["p.jpg"]["crops"][0]["box"]
    by_pixels = records(run(p, "--json", "-r", "4:5", "--focus", "384,180px").stdout)["p.jpg"]["crops"][0]["box"]
    assert by_fraction == by_pixels
    assert abs(by_fraction[0] + by_fraction[2] / 2 - 384) <= 1
    auto = records(run(p, "--json", "-r", "4:5").stdout)["p.jpg"]["crops"][0]["box"]
    assert auto != by_fraction, "the automatic crop already sat there: the test shows nothing"


def test_focus_is_in_the_displayed_orientation(tmp_path):
    # Stored 240x480 with EXIF orientation 6: displayed 480x240, subject on the left.
    p = regions.oriented_jpeg(tmp_path / "rot.jpg", regions.upright_photo(W, H, SUBJECT), 6)
    rec = records(run(p, "--json", "-r", "1:1", "--focus", "0.9,0.5").stdout)["rot.jpg"]
    assert (rec["width"], rec["height"], rec["orientation"]) == (480, 240, 6)
    assert rec["crops"][0]["box"] == [240, 0, 240, 240]


def test_keep_region_is_inside_the_crop_for_every_ratio_that_can_hold_it(tmp_path):
    p = plain_photo(tmp_path / "p.jpg", 800, 500, subject=(120, 250))
    keep = (560, 100, 160, 150)  # 0.7,0.2,0.2,0.3
    ratios = ["16:9", "1:1", "4:5", "9:16", "3:1", "1.91"]
    r = run(p, "--json", "-r", ",".join(ratios), "--keep", "0.7,0.2,0.2,0.3")
    assert r.returncode == 0, r.stderr
    rec = records(r.stdout)["p.jpg"]
    assert rec["steered_by"] == "flags"
    assert rec["regions"] == [{"type": "keep", "box": [560.0, 100.0, 160.0, 150.0]}]
    auto = records(run(p, "--json", "-r", ",".join(ratios)).stdout)["p.jpg"]
    moved = 0
    for crop, auto_crop in zip(rec["crops"], auto["crops"]):
        assert contains(crop["box"], keep), crop
        assert crop["steering"]["all_fit"] and crop["steering"]["regions_inside"] == [0]
        moved += not contains(auto_crop["box"], keep)
    assert moved >= 3, "the automatic crops already held the region: the test shows nothing"
    assert warnings_about(r.stderr, "p.jpg") == []
    # Pixels mean the same region.
    by_pixels = records(run(p, "--json", "-r", ",".join(ratios), "--keep", "560,100,160,150px").stdout)["p.jpg"]
    assert [c["box"] for c in by_pixels["crops"]] == [c["box"] for c in rec["crops"]]
    # The constraint holds for the other window rule too.
    peak = records(run(p, "--json", "-r", ",".join(ratios), "--keep", "0.7,0.2,0.2,0.3", "--strategy", "peak").stdout)
    assert all(contains(c["box"], keep) for c in peak["p.jpg"]["crops"])


def test_oversized_keep_region_is_reported_and_centred(tmp_path):
    p = plain_photo(tmp_path / "p.jpg", 800, 500, subject=(120, 250))
    r = run(p, "--json", "-r", "1:1,3:1", "--keep", "0.05,0.1,0.9,0.5")  # 720x250 px
    assert r.returncode == 0, r.stderr
    square, wide = records(r.stdout)["p.jpg"]["crops"]
    # 1:1 is 500 wide: 500/720 of the region, the window centred on it.
    assert square["box"] == [150, 0, 500, 500]
    assert square["steering"]["all_fit"] is False and abs(square["steering"]["kept"] - 500 / 720) < 1e-6
    assert square["steering"]["note"] == "keep region does not fit 1:1; kept 69% of it"
    assert f"warning: {p}: keep region does not fit 1:1; kept 69% of it" in r.stderr.splitlines()
    # 3:1 (800x267) holds it whole.
    assert contains(wide["box"], (40, 50, 720, 250)) and wide["steering"]["all_fit"]
    assert len(warnings_about(r.stderr, "p.jpg")) == 1


def test_hints_csv_over_a_batch_of_five(tmp_path):
    src = tmp_path / "in"
    photos = [plain_photo(src / f"p{i}.jpg") for i in range(5)]
    hints = tmp_path / "hints.csv"
    hints.write_text(
        "path,focus,keep\n"
        f"{photos[0]},\"0.9,0.5\",\n"
        f"{photos[1]},,\"380,90,60,60px\"\n"
        f"{src}/./p2.jpg,\"0.95,0.1\",\"0.75,0.3,0.1,0.2\"\n"
        f"{photos[3]},0.9,0.5\n"            # line 5: unquoted comma: focus "0.9", keep "0.5"
        f"{tmp_path}/elsewhere.jpg,\"0.5,0.5\",\n")  # line 6: not in the batch
    r = run(src, "--json", "-r", "1:1", "--hints", hints)
    assert r.returncode == 1, r.stderr
    recs = records(r.stdout)
    steered = sorted(name for name, rec in recs.items() if rec.get("steered_by") == "hints")
    assert steered == ["p0.jpg", "p1.jpg", "p2.jpg"]
    assert recs["p0.jpg"]["crops"][0]["box"] == [240, 0, 240, 240]
    assert contains(recs["p1.jpg"]["crops"][0]["box"], FACE)
    assert recs["p2.jpg"]["crops"][0]["box"] == [240, 0, 240, 240]
    assert recs["p3.jpg"]["status"] == "failed"
    assert f"error: {photos[3]}: {hints} line 5: focus '0.9': expected 2 numbers, got 1" in r.stderr
    assert f"error: {hints} line 6: {tmp_path}/elsewhere.jpg is not one of the photos of this run" in r.stderr
    assert recs["p4.jpg"]["steered_by"] == "auto" and recs["p4.jpg"]["status"] == "ok"
    assert "4 written" not in r.stderr  # nothing written: no -o
    assert "1 failed" in r.stderr and "1 hints row(s) matched no photo" in r.stderr


def test_hints_as_json_lines_on_stdin_and_pixels_outside_the_photo(tmp_path):
    a, b, c = (plain_photo(tmp_path / f"{n}.jpg") for n in "abc")
    lines = [json.dumps({"path": str(a), "focus": [0.9, 0.5]}),
             json.dumps({"path": str(b), "keep": "900,10,50,50px"}),  # outside the 480x240 photo
             json.dumps({"path": str(c), "keep": "0.75,0.3,0.1,0.2", "focus": "470,120px"})]
    r = run(a, b, c, "--json", "-r", "1:1", "--hints", "-", stdin="\n".join(lines) + "\n")
    assert r.returncode == 1, r.stderr
    recs = records(r.stdout)
    assert recs["a.jpg"]["steered_by"] == "hints" and recs["a.jpg"]["crops"][0]["box"] == [240, 0, 240, 240]
    assert recs["b.jpg"]["status"] == "failed"
    assert (f"error: {b}: hints on stdin line 2: keep 900,10,50,50px reaches outside the 480x240 photo"
            in r.stderr)
    assert recs["c.jpg"]["crops"][0]["box"] == [240, 0, 240, 240]


def test_a_bad_hints_header_stops_the_run_before_any_work(tmp_path):
    p = plain_photo(tmp_path / "p.jpg")
    hints = tmp_path / "h.csv"
    hints.write_text("file,fokus\np.jpg,\"0.5,0.5\"\n")
    r = run(p, "-o", tmp_path / "out", "--hints", hints)
    assert r.returncode == 2
    assert f"error: {hints}: line 1: unknown column 'file'" in r.stderr
    assert not (tmp_path / "out").exists()


ORIENTATIONS = range(1, 9)


def oriented_batch(folder, where):
    """One photo per EXIF orientation, FACE stored in it (or in a sidecar named the
    `where` way) in stored-image coordinates as MWG requires."""
    for o in ORIENTATIONS:
        photo = regions.oriented_jpeg(folder / f"o{o}.jpg", regions.upright_photo(W, H, SUBJECT, seed=o), o)
        area, stored_size = regions.stored_region(FACE, W, H, o)
        sidecar = {"embedded": None, "photo.jpg.xmp": folder / f"o{o}.jpg.xmp", "photo.xmp": folder / f"o{o}.xmp"}[where]
        regions.write_mwg(photo, [("Face", area, f"person{o}")], stored_size, sidecar=sidecar)


@pytest.mark.parametrize("where", ["embedded", "photo.jpg.xmp", "photo.xmp"])
def test_face_regions_are_kept_for_every_orientation(tmp_path, where):
    oriented_batch(tmp_path, where)
    r = run(tmp_path, "--json", "-r", "1:1,4:5")
    assert r.returncode == 0, r.stderr
    recs = records(r.stdout)
    ignored = records(run(tmp_path, "--json", "-r", "1:1,4:5", "--regions", "ignore").stdout)
    for o in ORIENTATIONS:
        rec = recs[f"o{o}.jpg"]
        assert (rec["width"], rec["height"], rec["orientation"]) == (W, H, o)
        assert rec["steered_by"] == "xmp_faces", rec
        assert rec["regions_from"] == ("embedded" if where == "embedded" else str(
            tmp_path / where.replace("photo", f"o{o}")))
        assert rec["regions"][0]["type"] == "face" and rec["regions"][0]["name"] == f"person{o}"
        assert [round(v) for v in rec["regions"][0]["box"]] == list(FACE), (o, rec["regions"])
        for crop in rec["crops"]:
            assert contains(crop["box"], FACE), (o, crop)
            assert crop["steering"] == {"regions_inside": [0], "all_fit": True, "kept": 1.0}
        auto = ignored[f"o{o}.jpg"]
        assert auto["steered_by"] == "auto" and not contains(auto["crops"][0]["box"], FACE), o


def test_several_faces_keep_the_largest_group_that_fits_and_say_so(tmp_path):
    p = plain_photo(tmp_path / "group.jpg", 800, 400, subject=(400, 200))
    faces = [("Face", (0.1, 0.5, 0.1, 0.2), "left"), ("Face", (0.85, 0.5, 0.16, 0.3), "right big"),
             ("Pet", (0.6, 0.5, 0.06, 0.1), "dog")]
    regions.write_mwg(p, faces, (800, 400))
    r = run(p, "--json", "-r", "1:1,3:1")
    assert r.returncode == 0, r.stderr
    rec = records(r.stdout)["group.jpg"]
    assert rec["steered_by"] == "xmp_faces"
    square, wide = rec["crops"]
    # 1:1 (400 wide) cannot hold x 40..744: the big right face and the dog stay.
    assert sorted(square["steering"]["regions_inside"]) == [1, 2] and not square["steering"]["all_fit"]
    assert "2 of 3 regions fit 1:1; kept the largest that fit together" in r.stderr
    # 3:1 is the whole width: everyone fits.
    assert wide["steering"]["all_fit"] and sorted(wide["steering"]["regions_inside"]) == [0, 1, 2]


def test_microsoft_regions_and_a_focus_region(tmp_path):
    mp = plain_photo(tmp_path / "mp.jpg")
    regions.write_mp(mp, [((380 / W, 90 / H, 60 / W, 60 / H), "Ann")])
    focus = plain_photo(tmp_path / "focus.jpg")
    regions.write_mwg(focus, [("Focus", (0.95, 0.5, 0.02, 0.02), "")], (W, H))
    r = run(mp, focus, "--json", "-r", "1:1")
    assert r.returncode == 0, r.stderr
    recs = records(r.stdout)
    assert recs["mp.jpg"]["steered_by"] == "mp_faces" and recs["mp.jpg"]["regions"][0]["name"] == "Ann"
    assert contains(recs["mp.jpg"]["crops"][0]["box"], FACE)
    assert recs["focus.jpg"]["steered_by"] == "xmp_focus" and recs["focus.jpg"]["focus"] == [456.0, 120.0]
    assert recs["focus.jpg"]["crops"][0]["box"] == [240, 0, 240, 240]


def test_command_line_and_hints_come_before_the_file_regions(tmp_path):
    p = plain_photo(tmp_path / "p.jpg")
    regions.write_mwg(p, [("Face", (0.85, 0.5, 0.125, 0.25), "Bob")], (W, H))
    hints = tmp_path / "h.csv"
    hints.write_text(f"path,focus\n{p},\"0.0,0.5\"\n")
    flags = records(run(p, "--json", "-r", "1:1", "--focus", "0.05,0.5").stdout)["p.jpg"]
    assert flags["steered_by"] == "flags" and flags["crops"][0]["box"] == [0, 0, 240, 240]
    hinted = records(run(p, "--json", "-r", "1:1", "--focus", "0.9,0.5", "--hints", hints).stdout)["p.jpg"]
    assert hinted["steered_by"] == "hints" and hinted["crops"][0]["box"] == [0, 0, 240, 240]
    assert records(run(p, "--json", "-r", "1:1").stdout)["p.jpg"]["steered_by"] == "xmp_faces"


def hostile_files(folder):
    """Photos whose metadata is broken in the ways a real collection holds, each named
    after what is wrong, and what the warning must say."""
    cases = {}
    p = plain_photo(folder / "malformed.jpg")
    regions.embed_raw_xmp(p, regions.xmp_packet('<rdf:Description rdf:about=""><mwg-rs:Regions>') + "<<<not xml")
    cases[p] = "malformed XMP"
    p = plain_photo(folder / "outside.jpg")
    regions.write_mwg(p, [("Face", (1.5, 0.5, 0.1, 0.1), "")], (W, H))
    cases[p] = "region 1 (face) lies outside the image"
    p = plain_photo(folder / "zero.jpg")
    regions.write_mwg(p, [("Face", (0.8, 0.5, 0.0, 0.1), "")], (W, H))
    cases[p] = "region 1 (face) has zero size"
    p = plain_photo(folder / "nan.jpg")
    regions.embed_raw_xmp(p, regions.xmp_packet(
        '<rdf:Description rdf:about="" xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/" '
        'xmlns:stArea="http://ns.adobe.com/xmp/sType/Area#"><mwg-rs:Regions rdf:parseType="Resource"><mwg-rs:RegionList>'
        '<rdf:Bag><rdf:li><rdf:Description mwg-rs:Type="Face"><mwg-rs:Area stArea:x="abc" stArea:y="0.5" stArea:w="0.1" '
        'stArea:h="0.1"/></rdf:Description></rdf:li></rdf:Bag></mwg-rs:RegionList></mwg-rs:Regions></rdf:Description>'))
    cases[p] = "region 1 (face) stArea:x 'abc' is not a number"
    p = folder / "many.png"
    regions.png_with_xmp(p, regions.upright_photo(W, H, SUBJECT), regions.many_regions_xmp(10_000))
    cases[p] = "more than 1000 regions"
    p = plain_photo(folder / "sidecar.jpg")
    (folder / "sidecar.jpg.xmp").write_text(regions.many_regions_xmp(10_000))
    cases[p] = f"sidecar {folder / 'sidecar.jpg.xmp'} is larger than 1 MB"
    p = plain_photo(folder / "brokensidecar.jpg")
    (folder / "brokensidecar.xmp").write_text("<x:xmpmeta><rdf:RDF>unterminated")
    cases[p] = "brokensidecar.xmp"
    return cases


def test_malformed_and_hostile_metadata_give_a_warning_and_the_automatic_crop(tmp_path):
    src = tmp_path / "in"
    cases = hostile_files(src)
    start = time.monotonic()
    r = run(src, "--json", "-r", "1:1")
    seconds = time.monotonic() - start
    assert r.returncode == 0, r.stderr
    assert seconds < 30, f"{seconds:.1f} s: hostile metadata stalled the run"
    recs = records(r.stdout)
    auto = records(run(src, "--json", "-r", "1:1", "--regions", "ignore").stdout)
    for photo, reason in cases.items():
        rec = recs[photo.name]
        assert rec["status"] == "ok" and rec["steered_by"] == "auto", rec
        assert rec["crops"][0]["box"] == auto[photo.name]["crops"][0]["box"]
        lines = warnings_about(r.stderr, str(photo) + ":")
        assert len(lines) == 1 and reason in lines[0] and "automatic crop" in lines[0], (photo, r.stderr)
        assert rec["warnings"] == [lines[0][len(f"warning: {photo}: "):]]


def test_bad_focus_and_keep_are_usage_errors(tmp_path):
    p = plain_photo(tmp_path / "p.jpg")
    r = run(p, "--json", "--focus", "1.2,0.3")
    assert r.returncode == 105
    assert "--focus: focus '1.2,0.3': fractions must lie in 0..1 (write 'px' after pixel coordinates)" in r.stderr
    r = run(p, "--json", "--keep", "0.5,0.5,0.6,0.1")
    assert r.returncode == 105 and "the region reaches past the photo" in r.stderr
    r = run(p, "--json", "--keep", "10,10,900,50px")  # pixels: checked against the photo
    assert r.returncode == 1
    assert f"error: {p}: --keep: keep 10,10,900,50px reaches outside the 480x240 photo" in r.stderr
    r = run("--from", "-", "--hints", "-", "--json", stdin="")
    assert r.returncode == 105 and "cannot both read standard input" in r.stderr


def test_hints_csv_quoting_comments_crlf_and_a_second_row(tmp_path):
    odd = plain_photo(tmp_path / 'say "cheese", please.jpg')
    twice = plain_photo(tmp_path / "twice.jpg")
    hints = tmp_path / "h.csv"
    hints.write_bytes(("# made by hand\r\n"
                       "keep , PATH\r\n"  # any order, any case, spaces
                       "\r\n"
                       f"\"0.75,0.3,0.1,0.2\",\"{str(odd).replace(chr(34), chr(34) * 2)}\"\r\n"
                       f",{twice}\r\n"  # line 5: neither focus nor keep
                       f"\"0.75,0.3,0.1,0.2\",{twice}\r\n").encode())
    r = run(odd, twice, "--json", "-r", "1:1", "--hints", hints)
    recs = records(r.stdout)
    assert recs[odd.name]["steered_by"] == "hints" and contains(recs[odd.name]["crops"][0]["box"], (360, 72, 48, 48))
    assert recs["twice.jpg"]["status"] == "failed"
    assert f"error: {twice}: {hints} line 6: a second row for this photo (the first is line 5)" in r.stderr
    assert r.returncode == 1
