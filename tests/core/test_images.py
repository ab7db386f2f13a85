import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from isaac_gui.core.images import MAX_ENCODED_BYTES, ImageError, decode_upright, prepare

# The pixels an EXIF orientation tag asks to be transformed to become upright, per tag value.
TO_STORED = {
    1: lambda im: im,
    2: lambda im: im.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
    3: lambda im: im.transpose(Image.Transpose.ROTATE_180),
    4: lambda im: im.transpose(Image.Transpose.FLIP_TOP_BOTTOM),
    5: lambda im: im.transpose(Image.Transpose.TRANSPOSE),
    6: lambda im: im.transpose(Image.Transpose.ROTATE_90),
    7: lambda im: im.transpose(Image.Transpose.TRANSVERSE),
    8: lambda im: im.transpose(Image.Transpose.ROTATE_270),
}


def upright_with_red_corner(w=400, h=300) -> Image.Image:
    img = Image.new("RGB", (w, h), (128, 128, 128))
    img.paste((255, 0, 0), (0, 0, w // 4, h // 4))  # top-left quarter-quarter is red when upright
    return img


def encode(img: Image.Image, fmt: str, orientation: int = 1, **kw) -> bytes:
    out = io.BytesIO()
    if orientation != 1:
        exif = Image.Exif()
        exif[0x0112] = orientation
        kw["exif"] = exif
    img.save(out, fmt, **kw)
    return out.getvalue()


def red_at_top_left(img: Image.Image) -> bool:
    arr = np.asarray(img.convert("RGB")).astype(int)
    h, w, _ = arr.shape
    tl = arr[h // 16, w // 16]
    br = arr[h - h // 16, w - w // 16]
    return tl[0] > 200 and tl[1] < 60 and abs(br[0] - 128) < 30


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_comes_out_upright(orientation):
    upright = upright_with_red_corner()
    data = encode(TO_STORED[orientation](upright), "JPEG", orientation, quality=95)
    prepared = prepare(data, 200)
    assert (prepared.width, prepared.height) == (400, 300)
    assert (prepared.sent_width, prepared.sent_height) == (200, 150)
    assert prepared.orientation == orientation
    sent = Image.open(io.BytesIO(prepared.body))
    assert sent.format == "JPEG" and sent.size == (200, 150)
    assert red_at_top_left(sent)
    assert 0x0112 not in sent.getexif()


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "TIFF", "BMP", "GIF"])
def test_formats_are_converted_to_jpeg(fmt):
    data = encode(upright_with_red_corner(), fmt)
    prepared = prepare(data, 1024)
    assert prepared.source_format == fmt
    assert prepared.mime == "image/jpeg"
    assert (prepared.sent_width, prepared.sent_height) == (400, 300)
    assert red_at_top_left(Image.open(io.BytesIO(prepared.body)))


def test_cmyk_palette_alpha_and_16_bit_become_rgb():
    rgb = upright_with_red_corner()
    cmyk = encode(rgb.convert("CMYK"), "JPEG", quality=95)
    assert red_at_top_left(Image.open(io.BytesIO(prepare(cmyk).body)))
    palette = encode(rgb.convert("P", palette=Image.Palette.ADAPTIVE), "PNG")
    assert red_at_top_left(Image.open(io.BytesIO(prepare(palette).body)))
    rgba = rgb.convert("RGBA")
    rgba.putalpha(255)
    rgba.paste((0, 0, 0, 0), (300, 200, 400, 300))  # transparent corner flattens onto white
    sent = Image.open(io.BytesIO(prepare(encode(rgba, "PNG")).body))
    assert sent.getpixel((390, 290))[0] > 240
    grey16 = Image.fromarray(np.full((30, 40), 65535, dtype=np.uint16))
    sent = Image.open(io.BytesIO(prepare(encode(grey16, "PNG")).body))
    assert sent.mode == "RGB" and sent.getpixel((5, 5))[0] > 250


def test_large_jpeg_uses_reduced_decoding_and_keeps_full_resolution_frame():
    big = Image.new("RGB", (4000, 3000), (90, 90, 90))
    big.paste((0, 0, 255), (2000, 1500, 2400, 1800))
    data = encode(big, "JPEG", 6, quality=90)  # stored landscape, displayed portrait
    img, width, height, orientation, fmt = decode_upright(data, 1024)
    assert (width, height) == (3000, 4000)
    assert img.size == (768, 1024)
    assert orientation == 6 and fmt == "JPEG"


def test_body_stays_under_the_limit_by_lowering_quality_then_size():
    noise = Image.fromarray(np.random.default_rng(0).integers(0, 255, (600, 800, 3), dtype=np.uint8))
    data = encode(noise, "PNG")
    prepared = prepare(data, None, body_limit=120_000)
    assert len(prepared.body) <= 120_000
    assert (prepared.width, prepared.height) == (800, 600)
    assert prepared.sent_width <= 800
    assert prepare(encode(upright_with_red_corner(), "PNG"), None).body.__len__() < MAX_ENCODED_BYTES


def png_header_only(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)

    def chunk_bytes(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return b"\x89PNG\r\n\x1a\n" + chunk_bytes(b"IHDR", ihdr) + chunk_bytes(b"IDAT", zlib.compress(b"\0" * 64))


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (png_header_only(60000, 60000), "too_large"),
        (b"this is a text file, not a photo", "not_an_image"),
        (b"", "not_an_image"),
    ],
)
def test_bad_inputs_are_named_errors(data, kind):
    with pytest.raises(ImageError) as info:
        prepare(data)
    assert info.value.kind == kind
    assert info.value.message


def test_truncated_jpeg_is_an_error():
    data = encode(upright_with_red_corner(), "JPEG")
    with pytest.raises(ImageError) as info:
        prepare(data[: len(data) // 2])
    assert info.value.kind in {"truncated", "decode_error"}
    assert "truncated" in info.value.message or "damaged" in info.value.message
