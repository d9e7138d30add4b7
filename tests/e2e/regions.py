"""Photos with steering regions for the end-to-end tests: regions are written into
generated JPEGs (or XMP sidecars) with exiftool, as photo managers store them."""
import subprocess
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

import images


def upright_photo(width, height, subject, seed=0):
    """An upright BGR photo: noisy grey with a bright red disc (the saliency's pick) at `subject`."""
    rng = np.random.default_rng(seed)
    img = rng.integers(40, 90, size=(height, width, 3), dtype=np.uint8)
    cv2.circle(img, (int(subject[0]), int(subject[1])), max(4, min(width, height) // 8), (0, 0, 255), -1)
    return img


def stored_region(rect, width, height, orientation):
    """Where the upright rectangle (x, y, w, h, pixels) lies in the image as stored for
    EXIF `orientation`, as MWG normalised centre and size: found by transforming a
    mask the way the pixels are transformed (images._STORE), not by a formula."""
    mask = np.zeros((height, width), np.uint8)
    x, y, w, h = rect
    mask[y:y + h, x:x + w] = 1
    stored = np.ascontiguousarray(images._STORE[orientation](mask[:, :, None])[:, :, 0])
    ys, xs = np.nonzero(stored)
    sh, sw = stored.shape
    x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    return ((x0 + x1) / 2 / sw, (y0 + y1) / 2 / sh, (x1 - x0) / sw, (y1 - y0) / sh), (sw, sh)


def oriented_jpeg(path, upright_bgr, orientation):
    """Writes `upright_bgr` stored rotated/flipped with EXIF `orientation` (applying the
    orientation gives the upright photo back)."""
    rgb = np.ascontiguousarray(upright_bgr[:, :, ::-1])
    stored = np.ascontiguousarray(images._STORE[orientation](rgb))
    exif = Image.Exif()
    exif[0x0112] = orientation
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(stored).save(path, quality=92, exif=exif.tobytes())
    return Path(path)


def mwg_struct(regions, applied, unit="normalized"):
    """exiftool's structure syntax for XMP-mwg-rs:RegionInfo. regions: (type, (x, y, w, h), name)."""
    items = []
    for kind, (x, y, w, h), name in regions:
        item = f"Area={{X={x:.6f},Y={y:.6f},W={w:.6f},H={h:.6f},Unit={unit}}},Type={kind}"
        if name:
            item += f",Name={name}"
        items.append("{" + item + "}")
    return f"{{AppliedToDimensions={{W={applied[0]},H={applied[1]},Unit=pixel}},RegionList=[{','.join(items)}]}}"


def exiftool(*args):
    r = subprocess.run(["exiftool", "-q", "-q", *map(str, args)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r


def write_mwg(target, regions, applied, sidecar=None, unit="normalized"):
    """Writes MWG regions into the JPEG `target`, or into a new XMP `sidecar` file."""
    tag = "-XMP-mwg-rs:RegionInfo=" + mwg_struct(regions, applied, unit)
    if sidecar:
        exiftool(tag, "-o", sidecar)
    else:
        exiftool("-overwrite_original", tag, target)


def write_mp(target, rectangles, sidecar=None):
    """Writes Microsoft MP regions (top-left x, y, w, h fractions, people names) into the
    JPEG `target`, or into a new XMP `sidecar` file."""
    items = ",".join(f"{{Rectangle={x:.6f}|, {y:.6f}|, {w:.6f}|, {h:.6f},PersonDisplayName={name}}}"
                     for (x, y, w, h), name in rectangles)
    tag = f"-XMP-MP:RegionInfoMP={{Regions=[{items}]}}"
    if sidecar:
        exiftool(tag, "-o", sidecar)
    else:
        exiftool("-overwrite_original", tag, target)


def rotated_like_exiftool(path, upright_bgr, orientation, faces, schema, places):
    """A photo tagged upright, then turned for EXIF `orientation` the way a photo manager
    does it with exiftool: the pixels are stored turned (and mirrored for 2, 4, 5, 7) and
    the regions turned with them into the stored frame, as exiftool's rotate_regions.config
    turns them, AppliedToDimensions left as the upright photo's. faces: ((x, y, w, h)
    upright pixels, name). schema: "mwg" or "mp". places: any of "embedded",
    "photo.jpg.xmp", "photo.xmp" (the same regions in each)."""
    height, width = upright_bgr.shape[:2]
    photo = oriented_jpeg(path, upright_bgr, orientation)
    stored = [(stored_region(rect, width, height, orientation)[0], name) for rect, name in faces]
    for place in places:
        sidecar = {"embedded": None, "photo.jpg.xmp": Path(f"{photo}.xmp"),
                   "photo.xmp": photo.with_suffix(".xmp")}[place]
        if schema == "mwg":
            write_mwg(photo, [("Face", area, name) for area, name in stored], (width, height), sidecar=sidecar)
        else:
            write_mp(photo, [((x - w / 2, y - h / 2, w, h), name) for (x, y, w, h), name in stored], sidecar=sidecar)
    return photo


def exiftool_rotate_regions_config(folder):
    """exiftool's own rotate_regions.config (Debian ships it gzipped among the docs),
    unpacked into `folder`; None where it is not installed."""
    import gzip
    for candidate in (Path("/usr/share/doc/libimage-exiftool-perl/config_files/rotate_regions.config.gz"),
                      Path("/usr/share/doc/libimage-exiftool-perl/config_files/rotate_regions.config")):
        if candidate.exists():
            data = candidate.read_bytes()
            target = Path(folder) / "rotate_regions.config"
            target.write_bytes(gzip.decompress(data) if candidate.suffix == ".gz" else data)
            return target
    return None


def xmp_packet(body):
    return ('<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' + body +
            '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>')


def many_regions_xmp(count):
    """An XMP packet of `count` tiny face regions (a hostile file)."""
    items = "".join(f'<rdf:li><rdf:Description mwg-rs:Type="Face"><mwg-rs:Area stArea:x="{(i % 100) / 100 + 0.005}" '
                    f'stArea:y="{(i // 100 % 100) / 100 + 0.005}" stArea:w="0.01" stArea:h="0.01"/></rdf:Description>'
                    '</rdf:li>' for i in range(count))
    return xmp_packet('<rdf:Description rdf:about="" xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/" '
                      'xmlns:stArea="http://ns.adobe.com/xmp/sType/Area#"><mwg-rs:Regions rdf:parseType="Resource">'
                      f'<mwg-rs:RegionList><rdf:Bag>{items}</rdf:Bag></mwg-rs:RegionList></mwg-rs:Regions>'
                      '</rdf:Description>')


def embed_raw_xmp(path, packet):
    """Inserts `packet` (bytes or str, any content, even broken XML) as the JPEG's XMP
    APP1 segment, right after SOI: what exiftool refuses to write."""
    data = Path(path).read_bytes()
    payload = b"http://ns.adobe.com/xap/1.0/\x00" + (packet.encode() if isinstance(packet, str) else packet)
    assert len(payload) + 2 < 65536
    segment = b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload
    Path(path).write_bytes(data[:2] + segment + data[2:])
    return Path(path)


def png_with_xmp(path, upright_bgr, packet):
    """A PNG whose iTXt XML:com.adobe.xmp chunk holds `packet` (no size limit, unlike JPEG APP1)."""
    from PIL import PngImagePlugin
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", packet)
    Image.fromarray(np.ascontiguousarray(upright_bgr[:, :, ::-1])).save(path, pnginfo=info)
    return Path(path)
