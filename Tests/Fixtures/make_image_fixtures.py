#!/usr/bin/env python3
"""Writes Tests/Fixtures/Images/: small PNG and JPEG files of every kind Weft reads, a few damaged
ones, and expected.json with the 8-bit pixels each must decode to (JPEGFileTests, PNGFileTests).

The expected pixels are Pillow's decode of the file, converted to 1 channel (gray files) or 3
(colour files) the way Weft documents it:

- 8-bit files without transparency: `Image.open(f).convert("L")` or `.convert("RGB")`.
- Transparency (an alpha channel or a tRNS chunk) is composited over black,
  `out = round(c * a / 255)`, computed as `(c * a + 127) // 255` from Pillow's `LA`/`RGBA`
  conversion (asserted here to equal `Image.alpha_composite` over opaque black).
- 16-bit files: `round(v / 257)` of the raw 16-bit samples (computed with NumPy from the data the
  file was written from; Pillow itself clips `I;16` gray and truncates 16-bit RGB), then alpha as
  above.
- JPEG: `np.asarray(Image.open(f))` (libjpeg's default ISLOW IDCT and fancy upsampling).

Run from the repository root with Pillow and NumPy installed:

    python3 Tests/Fixtures/make_image_fixtures.py
"""
import io
import json
import os
import shutil
import struct
import zlib

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "Images")


def png_bytes(array, color_type, bit_depth, palette=None, trns=None, gamma=None):
    """A PNG of `array` ([H, W] or [H, W, C] integers) written by hand (Pillow cannot write 16-bit
    colour or 2- and 4-bit gray)."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    height, width = array.shape[:2]
    rows = []
    for row in array.reshape(height, width, -1):
        samples = row.reshape(-1)
        if bit_depth == 16:
            data = samples.astype(">u2").tobytes()
        elif bit_depth == 8:
            data = samples.astype(np.uint8).tobytes()
        else:
            per_byte = 8 // bit_depth
            padded = np.zeros(-(-len(samples) // per_byte) * per_byte, dtype=np.uint8)
            padded[: len(samples)] = samples
            packed = np.zeros(len(padded) // per_byte, dtype=np.uint8)
            for slot in range(per_byte):
                packed |= padded[slot::per_byte] << (8 - bit_depth * (slot + 1))
            data = packed.tobytes()
        rows.append(b"\x00" + data)
    header = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    body = chunk(b"IHDR", header)
    if gamma is not None:
        body += chunk(b"gAMA", struct.pack(">I", gamma))
    if palette is not None:
        body += chunk(b"PLTE", bytes(palette))
    if trns is not None:
        body += chunk(b"tRNS", bytes(trns))
    return b"\x89PNG\r\n\x1a\n" + body + chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b"")


def composite(color, alpha):
    """Colour samples over black: round(c * a / 255) in integers."""
    return (color.astype(np.int64) * alpha.astype(np.int64)[..., None] + 127) // 255


def reduce16(values):
    """round(v / 257): 16-bit samples to 8 bits."""
    return (values.astype(np.int64) + 128) // 257


def pil_expected(data):
    """Pillow's decode of 8-bit PNG `data` with the documented conversion to 1 or 3 channels."""
    image = Image.open(io.BytesIO(data))
    image.load()
    gray = image.mode in ("1", "L", "LA", "I", "I;16") or (image.mode == "P" and False)
    has_alpha = image.mode in ("LA", "RGBA", "PA") or "transparency" in image.info
    if image.mode == "P":
        gray = False
    if not has_alpha:
        return np.asarray(image.convert("L" if gray else "RGB"))
    with_alpha = np.asarray(image.convert("LA" if gray else "RGBA"))
    color, alpha = with_alpha[..., :-1], with_alpha[..., -1]
    result = composite(color, alpha)
    if not gray:
        # The same as Pillow's alpha_composite over opaque black.
        black = Image.new("RGBA", image.size, (0, 0, 0, 255))
        pil = np.asarray(Image.alpha_composite(black, image.convert("RGBA")))[..., :3]
        assert np.array_equal(pil, result), "round(c*a/255) differs from Image.alpha_composite"
    return result[..., 0] if gray else result


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    rng = np.random.default_rng(20261204)
    expected = {}

    def save(name, data, pixels):
        with open(os.path.join(OUT, name), "wb") as handle:
            handle.write(data)
        if pixels is not None:
            pixels = np.asarray(pixels)
            channels = 1 if pixels.ndim == 2 else pixels.shape[2]
            expected[name] = {"width": int(pixels.shape[1]), "height": int(pixels.shape[0]),
                              "channels": channels, "pixels": [int(v) for v in pixels.reshape(-1)]}

    def pil_file(image, **options):
        buffer = io.BytesIO()
        image.save(buffer, **options)
        return buffer.getvalue()

    def scene(width, height, channels):
        """Smooth gradients plus noise: something JPEG has to work at."""
        y, x = np.mgrid[0:height, 0:width]
        planes = [(x * 255 // max(width - 1, 1) + 40 * c + y * 13) % 256 for c in range(channels)]
        noisy = np.stack(planes, -1) + rng.integers(-30, 31, (height, width, channels))
        return np.clip(noisy, 0, 255).astype(np.uint8)

    # PNG, 8-bit, written by Pillow.
    gray = scene(7, 5, 1)[..., 0]
    rgb = scene(7, 5, 3)
    alpha = rng.integers(0, 256, (5, 7)).astype(np.uint8)
    alpha[0, :3] = [0, 255, 128]
    for name, image in [
        ("gray.png", Image.fromarray(gray, "L")),
        ("gray-alpha.png", Image.fromarray(np.stack([gray, alpha], -1), "LA")),
        ("rgb.png", Image.fromarray(rgb, "RGB")),
        ("rgba.png", Image.fromarray(np.dstack([rgb, alpha]), "RGBA")),
        ("bits1.png", Image.fromarray(gray > 127).convert("1")),
    ]:
        data = pil_file(image, format="PNG")
        save(name, data, pil_expected(data))
    palette_image = Image.fromarray(rgb, "RGB").quantize(colors=6)
    data = pil_file(palette_image, format="PNG")
    save("palette.png", data, pil_expected(data))
    data = pil_file(palette_image, format="PNG", transparency=bytes([0, 64, 255, 128, 200, 255]))
    save("palette-trns.png", data, pil_expected(data))
    data = pil_file(Image.fromarray(gray, "L"), format="PNG", transparency=int(gray[1, 1]))
    save("gray-trns.png", data, pil_expected(data))

    # Random colours (and the extremes) with Pillow's convert("L") of them: PixelImage.grayscale
    # must be exactly Pillow's luma.
    colours = rng.integers(0, 256, (48, 48, 3)).astype(np.uint8)
    colours[0, :4] = [[0, 0, 0], [255, 255, 255], [255, 0, 0], [0, 0, 255]]
    image = Image.fromarray(colours, "RGB")
    data = pil_file(image, format="PNG")
    save("colours.png", data, pil_expected(data))
    expected["colours.png:L"] = dict(expected["colours.png"], channels=1,
                                     pixels=[int(v) for v in np.asarray(image.convert("L")).reshape(-1)])

    # PNG, written by hand: 2- and 4-bit gray, 16-bit gray, RGB and RGBA.
    for bits in (2, 4):
        levels = rng.integers(0, 1 << bits, (5, 7))
        data = png_bytes(levels, 0, bits)
        assert np.array_equal(pil_expected(data), levels * 255 // ((1 << bits) - 1))
        save(f"bits{bits}.png", data, pil_expected(data))
    wide_gray = rng.integers(0, 65536, (5, 7))
    wide_gray[0, :6] = [0, 128, 129, 385, 65407, 65535]
    save("gray16.png", png_bytes(wide_gray, 0, 16), reduce16(wide_gray))
    wide_rgb = rng.integers(0, 65536, (5, 7, 3))
    save("rgb16.png", png_bytes(wide_rgb, 2, 16), reduce16(wide_rgb))
    wide_alpha = rng.integers(0, 65536, (5, 7))
    wide_alpha[0, :3] = [0, 65535, 32896]
    save("rgba16.png", png_bytes(np.dstack([wide_rgb, wide_alpha]), 6, 16),
         composite(reduce16(wide_rgb), reduce16(wide_alpha)))

    # A gAMA chunk of 1.0 (linear samples): Pillow ignores it and so must Weft.
    data = png_bytes(rgb, 2, 8, gamma=100000)
    assert np.array_equal(pil_expected(data), rgb)
    save("gamma.png", data, pil_expected(data))

    # JPEG, written by Pillow; expected: Pillow's decode.
    def jpeg(name, image, **options):
        data = pil_file(image, format="JPEG", **options)
        decoded = Image.open(io.BytesIO(data))
        save(name, data, np.asarray(decoded))
        return data

    jpeg("gray.jpg", Image.fromarray(scene(13, 9, 1)[..., 0], "L"), quality=75)
    colour = Image.fromarray(scene(17, 11, 3), "RGB")
    base = jpeg("rgb-q75-420.jpg", colour, quality=75, subsampling=2)
    jpeg("rgb-q95-444.jpg", colour, quality=95, subsampling=0)
    jpeg("rgb-q75-422.jpg", colour, quality=75, subsampling=1)
    jpeg("progressive.jpg", colour, quality=85, subsampling=2, progressive=True)
    jpeg("small.jpg", Image.fromarray(rgb, "RGB"), quality=90)
    save("cmyk.jpg", pil_file(Image.fromarray(scene(8, 8, 4), "CMYK"), format="JPEG"), None)

    # Damaged files.
    scan = base.index(b"\xff\xda")  # start of scan: cut halfway through the entropy-coded data
    save("truncated.jpg", base[: (scan + len(base)) // 2], None)
    start = base.index(b"\xff\xc0")  # SOF0: length, precision, height, width, components
    broken = bytearray(base)
    broken[start + 4] = 0x0C  # 12-bit precision, which an 8-bit libjpeg refuses
    save("bad-header.jpg", bytes(broken), None)
    save("empty.jpg", b"", None)
    with open(os.path.join(OUT, "rgb.png"), "rb") as handle:
        save("png-named.jpg", handle.read(), np.asarray(expected["rgb.png"]["pixels"]).reshape(5, 7, 3))

    with open(os.path.join(OUT, "expected.json"), "w") as handle:
        json.dump(expected, handle, separators=(",", ":"), sort_keys=True)
        handle.write("\n")


if __name__ == "__main__":
    main()
