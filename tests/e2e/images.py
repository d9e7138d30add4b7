"""Generates the photos the end-to-end tests run on (never committed: they are
written into the build tree by each test)."""
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
from PIL import Image


def photo(path, width=320, height=240, subject=None, seed=0):
    """Writes a noisy grey photo with a bright red disc (the subject) at `subject` (x, y)."""
    rng = np.random.default_rng(seed)
    img = rng.integers(40, 90, size=(height, width, 3), dtype=np.uint8)
    x, y = subject if subject else (width // 3, height // 2)
    cv2.circle(img, (int(x), int(y)), max(4, min(width, height) // 8), (0, 0, 255), -1)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), img)
    return path


def upright_marker_image(width=96, height=64):
    """An upright RGB image whose top-left quarter is red, the rest blue (PIL, RGB)."""
    img = np.zeros((height, width, 3), np.uint8)
    img[:, :] = (0, 0, 255)
    img[: height // 2, : width // 2] = (255, 0, 0)
    return img


# The transform that, applied to the upright image, gives what is stored for EXIF orientation n.
_STORE = {
    1: lambda a: a,
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1, :],
    5: lambda a: a.transpose(1, 0, 2),
    6: lambda a: np.rot90(a, 1),
    7: lambda a: np.rot90(a.transpose(1, 0, 2), 2),
    8: lambda a: np.rot90(a, -1),
}


def exif_jpeg(path, orientation, width=96, height=64):
    """Writes a JPEG whose pixels are stored rotated/flipped with EXIF `orientation`, so
    that applying the orientation gives upright_marker_image(width, height)."""
    stored = np.ascontiguousarray(_STORE[orientation](upright_marker_image(width, height)))
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(stored).save(path, quality=95, exif=exif.tobytes())
    return Path(path)


def cmyk_jpeg(path, width=200, height=120):
    rgb = np.zeros((height, width, 3), np.uint8)
    rgb[:, :] = (200, 30, 30)  # red
    Image.fromarray(rgb).convert("CMYK").save(path, quality=95)
    return Path(path)


def progressive_jpeg(path, width=320, height=240):
    img = cv2.imread(str(photo(Path(path).with_suffix(".tmp.png"), width, height)))
    Path(path).with_suffix(".tmp.png").unlink()
    assert cv2.imwrite(str(path), img, [cv2.IMWRITE_JPEG_PROGRESSIVE, 1])
    return Path(path)


def gray_png(path, width=200, height=150):
    img = np.tile(np.linspace(0, 255, width, dtype=np.uint8), (height, 1))
    assert cv2.imwrite(str(path), img)
    return Path(path)


def png16(path, width=200, height=150):
    img = np.zeros((height, width, 3), np.uint16)
    img[:, :, 2] = 60000
    img[:, :, 0] = 1234
    assert cv2.imwrite(str(path), img)
    return Path(path)


def rgba_png(path, width=200, height=150):
    img = np.zeros((height, width, 4), np.uint8)
    img[:, :, 1] = 200
    img[:, :, 3] = 77  # translucent everywhere
    assert cv2.imwrite(str(path), img)
    return Path(path)


def tiny_png(path, width=8, height=8):
    assert cv2.imwrite(str(path), np.full((height, width, 3), 128, np.uint8))
    return Path(path)


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def bomb_png(path, width=100000, height=100000):
    """A PNG whose header claims width x height pixels (a decompression bomb's shape)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data = zlib.compress(b"\x00" * 64)
    Path(path).write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", data) + _chunk(b"IEND", b""))
    return Path(path)


def truncated_copy(source, path, keep=0.5):
    data = Path(source).read_bytes()
    Path(path).write_bytes(data[: int(len(data) * keep)])
    return Path(path)


def corrupt_file(path):
    """A JPEG whose tables are overwritten with zeros: it starts right, then breaks."""
    good = photo(Path(path).with_suffix(".tmp.jpg"))
    data = bytearray(good.read_bytes())
    good.unlink()
    data[20:400] = bytes(380)
    Path(path).write_bytes(bytes(data))
    return Path(path)


def not_an_image(path):
    Path(path).write_text("these are holiday notes, not a photo\n" * 10)
    return Path(path)
