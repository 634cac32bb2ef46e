"""Page images made ready for Tesseract: stamp colours dropped, skew undone, grey.

- Red and blue ink (the incoming-document stamp `ĐẾN`, its number and date, a blue signature
  or hand-written number) is drawn over the header; Tesseract reads it into the text. A pixel
  whose colour is saturated becomes as light as its brightest channel, so coloured ink fades
  to the paper while black print (and black print under a stamp) stays.
- A page scanned a degree or two askew is turned straight: the angle whose rows of ink are
  sharpest (the variance of the row sums of a small binarised copy) is taken.
Pillow only; each function takes and returns a PIL image.
"""

from __future__ import annotations

from typing import Any

SATURATION = 90  # HSV saturation (0-255) above which a pixel is coloured ink
MAX_SKEW = 5.0  # degrees searched either way
SKEW_STEP = 0.25
MIN_SKEW = 0.2  # straighter than this is left alone
SAMPLE_WIDTH = 900  # pixels of the copy the skew is measured on


def prepare(image: Any) -> Any:
    """A greyscale image of the page with coloured ink dropped and the skew undone."""
    grey = drop_colour(image)
    angle = skew_angle(grey)
    if abs(angle) >= MIN_SKEW:
        grey = grey.rotate(angle, resample=_bicubic(), expand=False, fillcolor=255)
    return grey


def drop_colour(image: Any) -> Any:
    """Greyscale with saturated (red, blue, green) pixels as light as their brightest channel."""
    from PIL import Image, ImageChops

    if image.mode == "L":
        return image
    rgb = image.convert("RGB")
    grey = rgb.convert("L")
    _, saturation, _ = rgb.convert("HSV").split()
    red, green, blue = rgb.split()
    brightest = ImageChops.lighter(ImageChops.lighter(red, green), blue)
    mask = saturation.point(lambda s: 255 if s > SATURATION else 0)
    return Image.composite(brightest, grey, mask)


def skew_angle(grey: Any) -> float:
    """The rotation (degrees, counter-clockwise) that makes the text lines level."""
    scale = SAMPLE_WIDTH / grey.width if grey.width > SAMPLE_WIDTH else 1.0
    small = grey.resize((max(1, int(grey.width * scale)), max(1, int(grey.height * scale))))
    ink = small.point(lambda v: 255 if v < 160 else 0)  # ink white on black, for rotate()
    best, best_score = 0.0, _sharpness(ink)
    steps = int(MAX_SKEW / SKEW_STEP)
    for i in range(-steps, steps + 1):
        angle = i * SKEW_STEP
        if angle == 0:
            continue
        score = _sharpness(ink.rotate(angle, resample=_bilinear(), expand=False, fillcolor=0))
        if score > best_score * 1.02:  # a clear gain only: noise must not tilt a straight page
            best, best_score = angle, score
    return best


def _sharpness(ink: Any) -> float:
    """Variance of the mean ink of each row: high when rows fall between text lines cleanly."""
    rows: list[float] = list(ink.resize((1, ink.height), resample=_box()).getdata())
    if not rows:
        return 0.0
    mean = sum(rows) / len(rows)
    return sum((r - mean) ** 2 for r in rows) / len(rows)


def _bicubic() -> Any:
    from PIL import Image

    return Image.Resampling.BICUBIC


def _bilinear() -> Any:
    from PIL import Image

    return Image.Resampling.BILINEAR


def _box() -> Any:
    from PIL import Image

    return Image.Resampling.BOX
