"""Preparing a photo for Isaac: decode once, upright, RGB, shrunk, encoded under the API's limits.

Why a 1000 px long side by default: Isaac answers on a 0–1000 grid, so one sent pixel is one grid
step and more pixels add no coordinate precision; a 12-megapixel photo (4000 x 3000, the commonest
sensor) is then exactly libjpeg's 1/4 scale, decoded without ever building the full image: 42 ms of
CPU instead of 97 ms at 1024 px (which forces the 1/2 scale) or ~180 ms for a full decode — and
preparation, not the network, is the bottleneck on two cores. The request body stays ~0.3 MB
instead of ~3.6 MB. `max_side` is a setting for defects too small to survive the shrink.

We send the upright photo (EXIF orientation applied, tag dropped), so boxes on the sent image map
to the displayed photo by scaling alone (see `geometry`).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFile, UnidentifiedImageError

from isaac_gui.core.geometry import fit_within

DEFAULT_MAX_SIDE = 1000
JPEG_QUALITY = 90
# 20 MB per request body; base64 adds a third and the JSON envelope a little more.
MAX_BODY_BYTES = 20 * 1000 * 1000
MAX_ENCODED_BYTES = int(MAX_BODY_BYTES * 3 / 4) - 64 * 1024
PREPARATION_VERSION = 1  # bump when the pixels we send change for the same settings

_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_ORIENTATION_TAG = 0x0112


class ImageError(Exception):
    """A photo that cannot be prepared. `kind` is stable (for filters and exports); the message is for people."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(frozen=True, slots=True)
class PreparedImage:
    """What is sent for one photo, and the frame its boxes map back to."""

    body: bytes  # JPEG bytes of the upright, shrunk photo
    mime: str
    sent_width: int
    sent_height: int
    width: int  # the photo as displayed: upright, full resolution
    height: int
    orientation: int  # the EXIF orientation that was applied (1 = none)
    source_format: str


def _orientation(img: Image.Image) -> int:
    try:
        value = img.getexif().get(_ORIENTATION_TAG, 1)
    except Exception:  # a broken EXIF block must not cost the photo
        return 1
    return value if isinstance(value, int) and value in _TRANSPOSE else 1


def _open(data: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError("too_large", f"is too large to decode safely ({exc})") from None
    except UnidentifiedImageError:
        raise ImageError("not_an_image", "is not an image isaac_gui can read") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageError("decode_error", f"cannot be decoded: {exc}") from None
    return img


def _to_rgb(img: Image.Image) -> Image.Image:
    """8-bit RGB from any mode: CMYK, 16-bit and float greys, palette, alpha (flattened on white)."""
    if img.mode == "RGB":
        return img
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        arr = np.asarray(img, dtype=np.float64)
        top = 65535.0 if img.mode.startswith("I;16") or arr.max(initial=0) > 255 else 255.0
        grey = np.clip(arr / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return Image.fromarray(grey).convert("RGB")
    if img.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return img.convert("RGB")


def decode_upright(data: bytes, max_side: int | None = None) -> tuple[Image.Image, int, int, int, str]:
    """Decode `data` once into an upright 8-bit RGB image no larger than `max_side`.

    Returns the image, the displayed full-resolution width and height, the EXIF orientation
    applied and the source format. JPEGs are decoded at a reduced scale by libjpeg itself when
    that still covers the requested size.
    """
    img = _open(data)
    source_format = img.format or "unknown"
    try:
        orientation = _orientation(img)
        stored_w, stored_h = img.size
        transposed = orientation in (5, 6, 7, 8)
        width, height = (stored_h, stored_w) if transposed else (stored_w, stored_h)
        target = fit_within(stored_w, stored_h, max_side)
        if img.format == "JPEG" and target != (stored_w, stored_h):
            img.draft("RGB", target)
        # Hand the decoder the whole file in one call: Pillow otherwise feeds it 64 KB at a time and
        # takes the GIL back between blocks, and with a busy pool each of those ~40 handovers of a
        # 12 MP photo waits its turn behind the other threads (measured: 2x slower under load).
        if isinstance(img, ImageFile.ImageFile):
            img.decodermaxblock = max(len(data), ImageFile.MAXBLOCK)
        img.load()
        img = _to_rgb(img)
        if img.size != target:
            img = img.resize(target, Image.Resampling.BICUBIC, reducing_gap=2.0)
        if orientation != 1:
            img = img.transpose(_TRANSPOSE[orientation])
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError("too_large", f"is too large to decode safely ({exc})") from None
    except OSError as exc:
        text = str(exc)
        if "truncated" in text or "broken data stream" in text or "premature end" in text.lower():
            raise ImageError("truncated", f"is truncated or damaged: {text}") from None
        raise ImageError("decode_error", f"cannot be decoded: {text}") from None
    except (ValueError, SyntaxError, IndexError, TypeError, MemoryError) as exc:
        raise ImageError("decode_error", f"cannot be decoded: {exc}") from None
    return img, width, height, orientation, source_format


def encode_jpeg(img: Image.Image, quality: int = JPEG_QUALITY) -> bytes:
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality)
    return out.getvalue()


def _encode_under_limit(img: Image.Image, limit: int) -> tuple[bytes, Image.Image]:
    """JPEG bytes under `limit`: lower the quality first, then the size."""
    quality = JPEG_QUALITY
    while True:
        body = encode_jpeg(img, quality)
        if len(body) <= limit:
            return body, img
        if quality > 70:
            quality -= 10
            continue
        w, h = img.size
        if max(w, h) <= 64:
            raise ImageError("too_large", "cannot be encoded under the API's 20 MB request limit")
        img = img.resize((max(1, int(w * 0.75)), max(1, int(h * 0.75))), Image.Resampling.BICUBIC)


def prepare(
    data: bytes,
    max_side: int | None = DEFAULT_MAX_SIDE,
    *,
    body_limit: int = MAX_ENCODED_BYTES,
) -> PreparedImage:
    """Decode `data` once and produce what is sent to Isaac."""
    img, width, height, orientation, source_format = decode_upright(data, max_side)
    body, sent = _encode_under_limit(img, body_limit)
    return PreparedImage(
        body=body,
        mime="image/jpeg",
        sent_width=sent.width,
        sent_height=sent.height,
        width=width,
        height=height,
        orientation=orientation,
        source_format=source_format,
    )


# Truncated files raise instead of being padded with grey: a damaged photo is an error, not a result.
ImageFile.LOAD_TRUNCATED_IMAGES = False
