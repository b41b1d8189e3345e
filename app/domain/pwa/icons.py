"""Draws Tend's app icons (a white heart with a cross in a green square) as PNG files.

Run once when the mark changes: `python -m app.domain.pwa.icons`; the files are committed
under app/static/icons/. "any" icons are a rounded square; the maskable one fills the
whole square and keeps the heart inside the central safe zone (80 %) that launchers keep
whatever shape they cut.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from app.paths import STATIC_DIR

PRIMARY = (0x1B, 0x6B, 0x58, 255)  # tokens.css --color-primary
WHITE = (255, 255, 255, 255)
SUPERSAMPLE = 4


def _heart(draw: ImageDraw.ImageDraw, size: int, scale: float) -> None:
    """The heart of tend.svg (a 64-unit box), scaled by `scale` about the centre."""
    unit = size / 64 * scale
    offset = size / 2 - 32 * unit

    def at(x: float, y: float) -> tuple[float, float]:
        return (offset + x * unit, offset + y * unit)

    radius = 9 * unit
    for cx in (23.5, 40.5):  # the two lobes
        x, y = at(cx, 28)
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=WHITE)
    draw.polygon([at(15.2, 30), at(48.8, 30), at(32, 50)], fill=WHITE)
    x, y = at(32, 34)
    arm, half = 8 * unit, 2 * unit
    draw.rounded_rectangle((x - half, y - arm, x + half, y + arm), radius=half, fill=PRIMARY)
    draw.rounded_rectangle((x - arm, y - half, x + arm, y + half), radius=half, fill=PRIMARY)


def draw_icon(size: int, *, maskable: bool = False) -> Image.Image:
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if maskable:
        draw.rectangle((0, 0, big, big), fill=PRIMARY)
        _heart(draw, big, 0.75)
    else:
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 14 / 64, fill=PRIMARY)
        _heart(draw, big, 1.0)
    return image.resize((size, size), Image.Resampling.LANCZOS)


ICONS = {
    "icon-192.png": (192, False),
    "icon-512.png": (512, False),
    "icon-maskable-512.png": (512, True),
    "apple-touch-icon.png": (180, True),  # iOS rounds the corners itself
}


def write_icons(folder: Path = STATIC_DIR / "icons") -> None:
    for name, (size, maskable) in ICONS.items():
        image = draw_icon(size, maskable=maskable)
        if name.startswith("apple"):
            image = image.convert("RGB")  # iOS shows transparency as black
        image.save(folder / name, "PNG", optimize=True)


if __name__ == "__main__":
    write_icons()
