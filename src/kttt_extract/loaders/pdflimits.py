"""Bound what a PDF may cost before pdfium reads it: pages, inflated streams, rendered pixels.

pdfium inflates a content stream whole and takes a page tree's word for how many pages there
are: a 13 KB file can claim a million pages by reference, and 1 MB of Flate data can inflate to
gigabytes. So the page count is checked first, and every Flate stream is inflated here in
pieces, counting what comes out (through every Flate filter of its chain), and refused past the
limit; a stream too near the end of the file to reach the limit at Deflate's largest ratio is
not inflated. `render_scale` bounds the pixels of a page rendered for OCR.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from kttt_extract.errors import InputTooLarge

if TYPE_CHECKING:
    from kttt_extract.loaders import LoadOptions

MB = 1024 * 1024
_IN = 64 * 1024
_OUT = 1024 * 1024
_STREAM = re.compile(rb"(?<!end)stream(?:\r\n|\n|\r)")
_FLATE = re.compile(rb"/(?:FlateDecode|Fl)\b")
_DICT_WINDOW = 4096  # how far before `stream` its dictionary is looked for
DEFLATE_RATIO = 1032  # Deflate's most: 258 bytes from a match coded in 2 bits


class _TooLarge(Exception):
    pass


def check(data: bytes, path: str, options: LoadOptions) -> None:
    """Refuse a PDF with more pages than `max_pages` or a stream inflating past `max_stream`."""
    check_streams(data, path, options.max_stream)
    check_pages(data, path, options)


def check_pages(data: bytes, path: str, options: LoadOptions) -> None:
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(data, password=options.password)
    except pdfium.PdfiumError:
        return  # the loader opens it again and says what is wrong
    try:
        pages = len(doc)
    finally:
        doc.close()
    if pages > options.max_pages:
        raise InputTooLarge(f"PDF has {pages} pages, over the {options.max_pages} page limit",
                            path=path, hint="raise it with --max-pages")


def check_streams(data: bytes, path: str, limit: int) -> None:
    view = memoryview(data)
    for match in _STREAM.finditer(data):
        head = data[max(0, match.start() - _DICT_WINDOW):match.start()]
        head = head[head.rfind(b"obj") + 1:]  # this object's dictionary only
        layers = len(_FLATE.findall(head))
        if not layers or (len(data) - match.end()) * DEFLATE_RATIO ** layers <= limit:
            continue  # the rest of the file cannot inflate past the limit: nothing to count
        try:
            _drain(view[match.end():], layers, limit)
        except _TooLarge:
            raise InputTooLarge(f"a PDF stream (at byte {match.end()}) inflates to more than "
                                f"{limit / MB:.0f} MB", path=path,
                                hint="raise it with --max-stream") from None
        except zlib.error:
            continue  # not Flate after all, or damaged: pdfium decides what it makes of it


def _drain(raw: memoryview, layers: int, limit: int) -> None:
    pieces: Iterator[bytes] = (bytes(raw[at:at + _IN]) for at in range(0, len(raw), _IN))
    for _ in range(layers):
        pieces = _inflate(pieces, limit)
    for _ in pieces:
        pass


def _inflate(pieces: Iterator[bytes], limit: int) -> Iterator[bytes]:
    """zlib data inflated in pieces of at most 1 MB; _TooLarge past `limit` bytes out."""
    inflater = zlib.decompressobj()
    produced = 0
    for piece in pieces:
        pending = piece
        while pending:
            out = inflater.decompress(pending, _OUT)
            pending = inflater.unconsumed_tail
            produced += len(out)
            if produced > limit:
                raise _TooLarge
            if out:
                yield out
            if inflater.eof:
                return


def render_scale(width: float, height: float, dpi: float, max_pixels: int) -> float:
    """The scale to render a page of `width` x `height` points at `dpi`, lowered so that the
    image has at most `max_pixels` pixels."""
    scale = dpi / 72
    pixels = width * scale * height * scale
    if pixels <= max_pixels or pixels <= 0:
        return scale
    return scale * math.sqrt(max_pixels / pixels)
