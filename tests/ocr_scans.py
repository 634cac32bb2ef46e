"""Factories of scanned pages made from known text, for the OCR tests and `benchmarks/ocr_bench.py`.

A page is typeset by fpdf2 in a font from a Debian package (Liberation Serif, a Times New Roman
metric clone, when `fonts-liberation2` is installed, else DejaVu Serif), rendered by pypdfium2,
then spoiled the way office scanners spoil letters: a red incoming-document stamp (`ĐẾN`, a
number, a date) over the header, a rotation, speckle noise and blur, JPEG compression at about
200 dpi. Everything is seeded, so a fixture is the same on every run.
"""

from __future__ import annotations

import io
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

FONT_DIRS = (Path("/usr/share/fonts/truetype/liberation2"),
             Path("/usr/share/fonts/truetype/dejavu"))
FONT_FILES = {"liberation2": ("LiberationSerif-Regular.ttf", "LiberationSerif-Bold.ttf"),
              "dejavu": ("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf")}


def font_files() -> tuple[Path, Path] | None:
    """Regular and bold serif fonts, or None when neither Debian font package is installed."""
    for folder in FONT_DIRS:
        regular, bold = FONT_FILES[folder.name]
        if (folder / regular).exists() and (folder / bold).exists():
            return folder / regular, folder / bold
    return None


@dataclass(frozen=True)
class Spoil:
    """How a page is spoiled: stamp over the header, degrees of rotation, noise and quality."""

    dpi: int = 200
    stamp: bool = True
    seal: bool = False  # a round red seal over the lower right (the signature's place)
    ink: tuple[int, int, int] | None = None  # colour of the stamp (red by default)
    skew: float = 0.0
    noise: float = 0.0  # share of pixels turned into dark specks
    blur: float = 0.0  # Gaussian radius in pixels
    jpeg: int = 75
    seed: int = 7


def text_pdf(pages: Sequence[Sequence[str]], size: float = 13.0, compress: bool = True) -> bytes:
    """A text PDF with one line per item; `# ` starts a bold centred line, `> ` a centred one
    (`compress=False` leaves the objects readable, so that `without_tounicode` can edit them)."""
    import fpdf

    fonts = font_files()
    assert fonts is not None, "no serif font from fonts-liberation or fonts-dejavu"
    doc = fpdf.FPDF(format="A4")
    doc.set_compression(compress)
    doc.set_margins(25, 20, 15)
    doc.set_auto_page_break(False)
    doc.add_font("serif", "", str(fonts[0]))
    doc.add_font("serif", "B", str(fonts[1]))
    for lines in pages:
        doc.add_page()
        for line in lines:
            bold, centred = line.startswith("# "), line.startswith(("# ", "> "))
            text = line[2:] if centred else line
            doc.set_font("serif", "B" if bold else "", size)
            doc.multi_cell(0, size * 0.55, text, align="C" if centred else "J",
                           new_x="LMARGIN", new_y="NEXT")
    return bytes(doc.output())


def _seal(image: object, rng: random.Random) -> None:
    """Draw a round red seal with a ring of text over the lower right of the page."""
    from PIL import ImageDraw, ImageFont

    fonts = font_files()
    assert fonts is not None
    width, height = image.size  # type: ignore[attr-defined]
    unit = width / 100
    draw = ImageDraw.Draw(image)  # type: ignore[arg-type]
    red = (200 + rng.randrange(40), 20 + rng.randrange(40), 30 + rng.randrange(40))
    cx, cy, r = int(unit * 68), int(height - unit * 30), int(unit * 13)
    for k in (0, int(unit * 2.5)):
        draw.ellipse((cx - r + k, cy - r + k, cx + r - k, cy + r - k), outline=red,
                     width=max(2, int(unit / 3)))
    font = ImageFont.truetype(str(fonts[1]), int(unit * 2.4))
    draw.text((cx - unit * 8, cy - unit * 1.5), "ỦY BAN NHÂN DÂN", font=font, fill=red)
    draw.regular_polygon((cx, cy + unit * 5, unit * 2), 5, fill=red)


def _stamp(image: object, rng: random.Random, ink: tuple[int, int, int] | None) -> None:
    """Draw an incoming-document stamp (red unless `ink` says) over the header's right part."""
    from PIL import ImageDraw, ImageFont

    fonts = font_files()
    assert fonts is not None
    width = image.width  # type: ignore[attr-defined]
    unit = width / 100
    draw = ImageDraw.Draw(image)  # type: ignore[arg-type]
    red = ink or (205 + rng.randrange(30), 30 + rng.randrange(30), 40 + rng.randrange(30))
    left, top = int(unit * 52), int(unit * 2)
    box = (left, top, left + int(unit * 40), top + int(unit * 17))
    draw.rectangle(box, outline=red, width=max(3, int(unit / 3)))
    big = ImageFont.truetype(str(fonts[1]), int(unit * 4.2))
    small = ImageFont.truetype(str(fonts[0]), int(unit * 2.6))
    draw.text((left + unit * 2, top + unit), "CÔNG VĂN ĐẾN", font=big, fill=red)
    draw.text((left + unit * 2, top + unit * 7), f"Số: {rng.randrange(100, 9999)}", font=small,
              fill=red)
    draw.text((left + unit * 2, top + unit * 11.5), f"Ngày: {rng.randrange(1, 28)}/"
              f"{rng.randrange(1, 12)}/2025", font=small, fill=red)


def _spoil(image: object, spoil: Spoil, rng: random.Random) -> object:
    from PIL import Image, ImageChops, ImageFilter

    ink = Image.new("RGB", image.size, (255, 255, 255))  # type: ignore[attr-defined]
    if spoil.stamp:
        _stamp(ink, rng, spoil.ink)
    if spoil.seal:
        _seal(ink, rng)
    out = ImageChops.multiply(image, ink)  # ink over print darkens it, as on paper
    if spoil.skew:
        out = out.rotate(spoil.skew, resample=Image.Resampling.BICUBIC,  # type: ignore[attr-defined]
                         expand=False, fillcolor=(255, 255, 255))
    if spoil.noise:
        pixels = out.load()  # type: ignore[attr-defined]
        w, h = out.size  # type: ignore[attr-defined]
        for _ in range(int(w * h * spoil.noise)):
            x, y = rng.randrange(w), rng.randrange(h)
            shade = rng.randrange(0, 120)
            pixels[x, y] = (shade, shade, shade)
    if spoil.blur:
        out = out.filter(ImageFilter.GaussianBlur(spoil.blur))  # type: ignore[attr-defined]
    return out


def scan_pdf(pdf: bytes, spoil: Spoil = Spoil(), pages: Sequence[int] | None = None,
             overlay: str | None = None) -> bytes:
    """An image-only PDF of the (0-based) `pages` of `pdf` (all by default), each spoiled;
    `overlay` is a line of real text put over each image (an e-signature's `Ký bởi: ...`)."""
    import fpdf
    import pypdfium2 as pdfium

    rng = random.Random(spoil.seed)
    source = pdfium.PdfDocument(pdf)
    out = fpdf.FPDF(unit="pt")
    out.set_auto_page_break(False)
    fonts = font_files()
    assert fonts is not None
    out.add_font("serif", "", str(fonts[0]))
    try:
        for index in pages if pages is not None else range(len(source)):
            page = source[index]
            width, height = page.get_size()
            image = page.render(scale=spoil.dpi / 72).to_pil().convert("RGB")
            page.close()
            spoiled = _spoil(image, spoil, rng)
            buf = io.BytesIO()
            spoiled.save(buf, format="JPEG", quality=spoil.jpeg)  # type: ignore[attr-defined]
            out.add_page(format=(width, height))
            out.image(io.BytesIO(buf.getvalue()), x=0, y=0, w=width, h=height)
            if overlay:
                out.set_font("serif", "", 7)
                out.set_xy(width * 0.55, height * 0.93)
                out.multi_cell(width * 0.4, 9, overlay)
    finally:
        source.close()
    return bytes(out.output())


def replace_page(pdf: bytes, index: int, other: bytes) -> bytes:
    """`pdf` with its page `index` (0-based) replaced by the first page of `other`."""
    import pypdfium2 as pdfium

    base, extra = pdfium.PdfDocument(pdf), pdfium.PdfDocument(other)
    try:
        base.del_page(index)
        base.import_pages(extra, [0], index)
        buf = io.BytesIO()
        base.save(buf)
        return buf.getvalue()
    finally:
        base.close()
        extra.close()


def without_tounicode(pdf: bytes) -> bytes:
    """`pdf` with its fonts' /ToUnicode maps made unreadable: the text layer becomes glyph
    numbers, as in PDFs printed by some document systems. The key is renamed in place (same
    length), so the cross-reference offsets stay right; needs an uncompressed object table."""
    assert b"/ToUnicode" in pdf, "no /ToUnicode key found (object streams?)"
    return pdf.replace(b"/ToUnicode", b"/XoUnicodX")


PLAN_PAGE = [
    "> ỦY BAN NHÂN DÂN HUYỆN TAM ĐƯỜNG",
    "> CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "> Độc lập - Tự do - Hạnh phúc",
    "Số: 125/KH-UBND                Tam Đường, ngày 14 tháng 3 năm 2025",
    "# KẾ HOẠCH",
    "> Thực hiện Nghị quyết số 20-NQ/TW ngày 16/6/2022 về kinh tế tập thể",
    "Căn cứ Luật Hợp tác xã số 17/2023/QH15 ngày 20 tháng 6 năm 2023 của Quốc hội;",
    "Ủy ban nhân dân huyện ban hành Kế hoạch thực hiện như sau:",
    "# I. MỤC ĐÍCH, YÊU CẦU",
    "Nâng cao nhận thức của các cấp, các ngành về vai trò của kinh tế tập thể.",
    "# II. NỘI DUNG",
    "Đến năm 2030, toàn huyện có khoảng 15 tổ hợp tác với trên 230 thành viên; "
    "50 hợp tác xã; tỷ lệ hợp tác xã hoạt động hiệu quả đạt trên 60%.",
    "# III. TỔ CHỨC THỰC HIỆN",
    "1. Phòng Nông nghiệp và Phát triển nông thôn chủ trì, phối hợp với các cơ quan "
    "liên quan tổ chức thực hiện Kế hoạch; báo cáo kết quả về Ủy ban nhân dân huyện "
    "trước ngày 15/12/2025.",
    "2. Phòng Tài chính - Kế hoạch tham mưu bố trí kinh phí thực hiện trong quý I năm 2026.",
]


def plan_pdf(compress: bool = True) -> bytes:
    """The one-page plan above as a text PDF."""
    return text_pdf([PLAN_PAGE], compress=compress)


def levenshtein(a: str, b: str) -> int:
    """Edit distance (bit-parallel, Hyyrö 2001): one pass over `b` with `a` as a bit vector."""
    if not a:
        return len(b)
    masks: dict[str, int] = {}
    for i, ch in enumerate(a):
        masks[ch] = masks.get(ch, 0) | (1 << i)
    full, last = (1 << len(a)) - 1, 1 << (len(a) - 1)
    pv, mv, score = full, 0, len(a)
    for ch in b:
        eq = masks.get(ch, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = mv | (~(xh | pv) & full)
        mh = pv & xh
        score += 1 if ph & last else -1 if mh & last else 0
        ph = ((ph << 1) | 1) & full
        mh = (mh << 1) & full
        pv = mh | (~(xv | ph) & full)
        mv = ph & xv
    return score


def squeeze(text: str) -> str:
    """NFC, ` | ` column joins of a transcription as a space, runs of white space as one."""
    import unicodedata

    text = unicodedata.normalize("NFC", text).replace(" | ", " ")
    return " ".join(text.split())


def accuracy(reference: str, text: str) -> float:
    """Character accuracy: 1 - edit distance / reference length (white space squeezed)."""
    ref, got = squeeze(reference), squeeze(text)
    return max(0.0, 1 - levenshtein(ref, got) / max(1, len(ref)))


def word_recall(reference: str, text: str) -> float:
    """Share of the reference's words (a multiset) found in `text`, whatever their order."""
    from collections import Counter

    ref, got = Counter(squeeze(reference).split()), Counter(squeeze(text).split())
    return sum((ref & got).values()) / max(1, sum(ref.values()))
