#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into OUT/<target>/.

Every seed is made here: small images encoded by OpenCV (with and without an EXIF
block, cut short), a few headers built by hand for formats OpenCV does not write
(GIF, WebP VP8X), and the ratio, --size and --name strings a user types.
Usage: make_seeds.py OUT
"""
import struct
import sys
from pathlib import Path

import cv2
import numpy as np


def image(width, height, channels=3, dtype=np.uint8):
    rng = np.random.default_rng(width * 1000 + height)
    top = 65535 if dtype == np.uint16 else 255
    shape = (height, width) if channels == 1 else (height, width, channels)
    return rng.integers(0, top, size=shape, dtype=dtype)


def encode(ext, pixels, params=()):
    ok, data = cv2.imencode(ext, pixels, list(params))
    assert ok, ext
    return data.tobytes()


def exif_block(orientation, little=True, value_type=3, extra_entries=0):
    """An APP1 EXIF segment whose first IFD holds `orientation` (tag 0x0112)."""
    order = "<" if little else ">"
    entries = [(0x010F, 2, 4, b"cam\0")] * extra_entries  # Make: ASCII, fits in the entry
    value = struct.pack(order + ("H2x" if value_type == 3 else "I"), orientation)
    entries.append((0x0112, value_type, 1, value))
    tiff = (b"II*\0" if little else b"MM\0*") + struct.pack(order + "I", 8)
    tiff += struct.pack(order + "H", len(entries))
    for tag, kind, count, payload in entries:
        tiff += struct.pack(order + "HHI", tag, kind, count) + payload
    tiff += struct.pack(order + "I", 0)  # no next IFD
    body = b"Exif\0\0" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body


def with_exif(jpeg, segment):
    return jpeg[:2] + segment + jpeg[2:]


def gif(width, height):
    header = b"GIF89a" + struct.pack("<HHBBB", width, height, 0x80, 0, 0) + b"\0\0\0\xff\xff\xff"
    frame = b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0) + b"\x02\x02\x44\x01\x00"
    return header + frame + b"\x3b"


def webp_vp8x(width, height):
    chunk = b"VP8X" + struct.pack("<I", 10) + b"\0\0\0\0" + (width - 1).to_bytes(3, "little") + \
        (height - 1).to_bytes(3, "little")
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def image_seeds():
    jpeg = encode(".jpg", image(33, 17))
    seeds = {
        "baseline.jpg": jpeg,
        "progressive.jpg": encode(".jpg", image(40, 24), [cv2.IMWRITE_JPEG_PROGRESSIVE, 1]),
        "restarts.jpg": encode(".jpg", image(48, 16), [cv2.IMWRITE_JPEG_RST_INTERVAL, 1]),
        "gray.jpg": encode(".jpg", image(20, 30, 1)),
        "exif6.jpg": with_exif(jpeg, exif_block(6)),
        "exif3-motorola.jpg": with_exif(jpeg, exif_block(3, little=False, extra_entries=2)),
        "rgb.png": encode(".png", image(21, 13)),
        "rgba16.png": encode(".png", image(9, 11, 4, np.uint16)),
        "gray.png": encode(".png", image(7, 5, 1)),
        "lossy.webp": encode(".webp", image(30, 20), [cv2.IMWRITE_WEBP_QUALITY, 80]),
        "lossless.webp": encode(".webp", image(30, 20, 4), [cv2.IMWRITE_WEBP_QUALITY, 101]),
        "vp8x.webp": webp_vp8x(640, 480),
        "rgb.bmp": encode(".bmp", image(15, 9)),
        "rgb.tif": encode(".tif", image(19, 7)),
        "gray16.tif": encode(".tif", image(6, 4, 1, np.uint16)),
        "tiny.gif": gif(12, 8),
    }
    for name, data in list(seeds.items()):
        seeds["cut-" + name] = data[: len(data) // 2]
    return seeds


def exif_seeds():
    jpeg = encode(".jpg", image(16, 16))
    seeds = {"no-exif.jpg": jpeg}
    for orientation in range(1, 9):
        seeds[f"intel-{orientation}.jpg"] = with_exif(jpeg, exif_block(orientation))
    seeds["motorola-8.jpg"] = with_exif(jpeg, exif_block(8, little=False))
    seeds["long-5.jpg"] = with_exif(jpeg, exif_block(5, value_type=4, extra_entries=3))
    seeds["cut-exif.jpg"] = with_exif(jpeg, exif_block(6))[:40]
    return seeds


def text_seeds(lines):
    return {f"seed-{i:02d}": text.encode() for i, text in enumerate(lines)}


RATIOS = ["16:9", "4x5", "4X5", "1.91", " 3:2 ", "1.5:1", "9/16", "16:9,1:1,4:5", "1e1:1", "100:1", "1:100",
          "0:1", "-1:2", "1:0", "abc", "1:2:3", ",", "16:9,", "nan", "inf:1", "1e308:1e-308", ".5", "+2:-1"]
SIZES = ["1280x720", "640", "1280X720", "0x0", "65535x65535", "65536", "1x", "x1", "12x 5", "+7x+8", "-1",
         "99999999999x1", "1280x720x3", "0x1f", " 640"]
TEMPLATES = [
    "{dir}/{stem}_{ratio}.{ext}\nphotos/cat.jpg\n\n16:9",
    "{dir}/{stem}_{ratio}.{ext}\nphotos/2023/x/cat.JPG\n2023/x\n1:1",
    "thumb-{stem}-{ratio}.webp\nscan.gif\n\n4x5",
    "{stem}.{ext}\nnoext\n\n1.91",
    "{stem}/{ratio}.{ext}\n...jpg\n\n3:2",
    "../{stem}.jpg\na.png\n\n1:1",
    "{dir}\nx.jpg\n\n1:1",
    "{stem}_{size}.jpg\nx.jpg\n\n1:1",
    "{stem.jpg\nx.jpg\n\n1:1",
    "/abs/{stem}.jpg\nx.jpg\n\n1:1",
]
STEERING = ["0.7,0.3", "1200,400px", "1200px,400px", "0.1,0.2,0.5,0.6", "100,80,400,300px", " 0.5 , 0.5 ",
            "1.2,0.3", "-1,0", "0,0,0,0", "1e308,1e308px", "nan,0.5", "0.5,0.5,0.6,0.1", "1px,2,3,4px", ",", "px"]


def xmp_seeds():
    """XMP packets with MWG and MP regions, alone and inside a JPEG's APP1 segment."""
    mwg = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           '<rdf:Description rdf:about="" xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/" '
           "xmlns:stArea='http://ns.adobe.com/xmp/sType/Area#'><mwg-rs:Regions rdf:parseType=\"Resource\">"
           '<mwg-rs:RegionList><rdf:Bag><rdf:li mwg-rs:Type="Face"><mwg-rs:Area stArea:x="0.5" stArea:y="0.5" '
           'stArea:w="0.1" stArea:h="0.1"/></rdf:li></rdf:Bag></mwg-rs:RegionList></mwg-rs:Regions>'
           '</rdf:Description></rdf:RDF></x:xmpmeta>')
    mp = mwg.replace("http://www.metadataworkinggroup.com/schemas/regions/", "http://ns.microsoft.com/photo/1.2/") \
        .replace("mwg-rs:Regions", "MP:RegionInfo").replace("xmlns:mwg-rs", "xmlns:MP")
    jpeg = encode(".jpg", image(16, 16))
    payload = b"http://ns.adobe.com/xap/1.0/\x00" + mwg.encode()
    app1 = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    return {"mwg.xmp": mwg.encode(), "mp.xmp": mp.encode(), "cut.xmp": mwg[:200].encode(),
            "with_xmp.jpg": jpeg[:2] + app1 + jpeg[2:], "plain.jpg": jpeg}


def main():
    out = Path(sys.argv[1])
    corpora = {
        "fuzz_image_header": image_seeds(),
        "fuzz_exif": exif_seeds(),
        "fuzz_ratio": text_seeds(RATIOS),
        "fuzz_output_size": text_seeds(SIZES),
        "fuzz_name_template": text_seeds(TEMPLATES),
        "fuzz_steering": text_seeds(STEERING),
        "fuzz_xmp_packet": xmp_seeds(),
    }
    for target, seeds in corpora.items():
        folder = out / target
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in seeds.items():
            (folder / name).write_bytes(data)
        print(f"{target}: {len(seeds)} seeds in {folder}")


if __name__ == "__main__":
    main()
