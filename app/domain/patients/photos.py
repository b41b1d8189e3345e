"""Patient photos: the type checked from the bytes, then re-encoded without any metadata.

A phone photo's EXIF carries GPS, the patient's home. Decoding the pixels and writing a
new JPEG from them keeps nothing else: no EXIF, no XMP, no comments, no thumbnails.
"""

from __future__ import annotations

import io

from PIL import Image, ImageOps, UnidentifiedImageError

from app.lib.i18n import _

MAX_BYTES = 5 * 1024 * 1024
# A 5 MB file can still decode to gigabytes (a "decompression bomb"): refuse early.
MAX_PIXELS = 50_000_000
LONGEST_SIDE = 1600  # plenty for a face on any screen, and a small ciphertext
JPEG_QUALITY = 85

_SIGNATURES = {
    "JPEG": (b"\xff\xd8\xff",),
    "PNG": (b"\x89PNG\r\n\x1a\n",),
}


class PhotoRejected(Exception):
    """Not a photo Tend keeps; `message` says why, in the user's language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def sniff(data: bytes) -> str | None:
    """JPEG, PNG or WEBP from the first bytes, whatever the file is called; else None."""
    for kind, signatures in _SIGNATURES.items():
        if data.startswith(signatures):
            return kind
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on white: JPEG has no transparency."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def clean_photo(data: bytes) -> bytes:
    """The photo as a fresh JPEG, upright, at most LONGEST_SIDE, with no metadata.

    Raises PhotoRejected for anything too large, of another type, or that does not decode.
    CPU-bound: call it in a worker thread.
    """
    if len(data) > MAX_BYTES:
        raise PhotoRejected(_("The photo is larger than 5 MB. Choose a smaller one."))
    kind = sniff(data)
    if kind is None:
        raise PhotoRejected(_("This file is not a photo. Choose a JPEG, PNG or WebP image."))
    try:
        with Image.open(io.BytesIO(data), formats=[kind]) as image:
            if image.width * image.height > MAX_PIXELS:
                raise PhotoRejected(_("The photo has too many pixels. Choose a smaller one."))
            if kind == "JPEG":
                # Let the JPEG decoder scale down while it decodes: a fraction of the memory.
                image.draft("RGB", (LONGEST_SIDE, LONGEST_SIDE))
            image.load()
            # Turn it the way the camera meant before the orientation tag goes with EXIF.
            upright = ImageOps.exif_transpose(image)
            picture = _flatten(upright)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        # Damaged or truncated data (Pillow's DecompressionBombError is a ValueError too).
        raise PhotoRejected(
            _("This photo could not be read. It may be damaged; try another one.")
        ) from exc
    picture.thumbnail((LONGEST_SIDE, LONGEST_SIDE))
    # A new image from the pixels alone: Pillow would carry a JPEG comment over from the
    # source's `info`, and this way nothing else can ride along either.
    bare = Image.frombytes("RGB", picture.size, picture.tobytes())
    out = io.BytesIO()
    bare.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()
