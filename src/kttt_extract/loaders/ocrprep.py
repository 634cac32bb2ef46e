"""Page images made ready for Tesseract: stamp colours dropped, skew undone, grey.

- Red and blue ink (the incoming-document stamp `ĐẾN`, its number and date, the round seal
  over the signature, a blue signature) is drawn over the text; Tesseract reads it into the
  text or loses the lines under it. Coloured pixels are lifted to white by their chroma, so
  coloured ink fades to the paper while black print (and black print under a stamp) stays.
- A page scanned askew is turned straight: the angle whose rows of ink are sharpest (the
  variance of the row sums of a small binarised copy) is taken. Under a degree it is left as it
  is: Tesseract copes with that, and a rotation blurs the small tone marks (measured with
  benchmarks/ocr_bench.py: 0.9935 with every skew of 0.2° and more undone, 0.9940 from 0.8°).
- Dust and scanner noise (lone dark specks) are read as commas, quotes and dots: a speckled
  page goes through a 3x3 median filter (a clean one does not: the filter costs a little
  accuracy on thin strokes).
Pillow only; each function takes and returns a PIL image.
"""

from __future__ import annotations

from typing import Any

CHROMA_FLOOR = 30  # channel spread of grey paper and black print (JPEG tints them a little)
CHROMA_GAIN = 3  # grey levels a pixel is lifted by per unit of chroma above the floor
SPECKS = 0.0005  # share of pixels that are lone dark specks above which the page is despeckled
SPECK_LIFT = 100  # grey levels the median must lighten a pixel by for it to be a speck
MAX_SKEW = 5.0  # degrees searched either way
SKEW_STEP = 0.25
MIN_SKEW = 1.0  # straighter than this is left alone: Tesseract copes, a rotation blurs marks
SAMPLE_WIDTH = 600  # pixels (at least) of the copy the skew is measured on


def prepare(image: Any) -> Any:
    """A greyscale image of the page with coloured ink dropped and the skew undone."""
    grey = despeckle(drop_colour(image))
    angle = skew_angle(grey)
    if abs(angle) >= MIN_SKEW:
        grey = grey.rotate(angle, resample=_bicubic(), expand=False, fillcolor=255)
    return grey


def drop_colour(image: Any) -> Any:
    """Greyscale in which coloured ink is lifted towards white by its chroma (the spread of its
    channels): a red or blue stroke and its anti-aliased edge vanish, black print stays black,
    and black print under a stamp stays dark enough to read."""
    from PIL import ImageChops

    if image.mode == "L":
        return image
    rgb = image.convert("RGB")
    red, green, blue = rgb.split()
    high = ImageChops.lighter(ImageChops.lighter(red, green), blue)
    low = ImageChops.darker(ImageChops.darker(red, green), blue)
    lift = ImageChops.subtract(high, low).point(
        lambda c: min(255, max(0, (c - CHROMA_FLOOR) * CHROMA_GAIN)))
    return ImageChops.add(rgb.convert("L"), lift)


def despeckle(grey: Any) -> Any:
    """The image through a 3x3 median filter when it is speckled (dust, a noisy scanner):
    isolated dark pixels that the median removes pass SPECKS of a sample band of the page."""
    from PIL import ImageChops, ImageFilter

    band = grey.crop((0, grey.height * 3 // 8, grey.width, grey.height * 5 // 8))
    removed = ImageChops.subtract(band.filter(ImageFilter.MedianFilter(3)), band)
    specks = sum(removed.histogram()[SPECK_LIFT:])
    if specks <= SPECKS * band.width * band.height:
        return grey
    return grey.filter(ImageFilter.MedianFilter(3))


def skew_angle(grey: Any) -> float:
    """The rotation (degrees, counter-clockwise) that makes the text lines level: whole
    degrees first, then SKEW_STEP around the best."""
    small = grey.reduce(max(1, grey.width // SAMPLE_WIDTH))
    ink = small.point(lambda v: 255 if v < 160 else 0)  # ink white on black, for rotate()
    scores = {0.0: _sharpness(ink)}

    def best(angles: list[float]) -> float:
        for angle in angles:
            if angle not in scores:
                scores[angle] = _sharpness(ink.rotate(angle, resample=_bilinear(),
                                                      expand=False, fillcolor=0))
        top = max(scores, key=lambda a: scores[a])
        # a clear gain only: noise must not tilt a straight page
        return top if scores[top] > scores[0.0] * 1.02 else 0.0

    coarse = best([float(a) for a in range(-int(MAX_SKEW), int(MAX_SKEW) + 1)])
    fine = [coarse + k * SKEW_STEP for k in range(-3, 4)]
    return best([a for a in fine if abs(a) <= MAX_SKEW])


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
