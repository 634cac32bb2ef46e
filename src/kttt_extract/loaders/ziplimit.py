"""Bound what a ZIP package (a DOCX) expands to, counting while inflating, not trusting headers.

`zipfile` reads a member in one piece, inflating up to the size the caller asks for, which for a
whole member is 2 GB: a member whose header declares a few bytes but whose data inflates to
gigabytes takes that memory before the lie is noticed. So every member is inflated here first,
in chunks, counting what comes out; a member that yields more than its header declares is refused
as damaged, and the total is held to the limit.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Iterator
from io import BytesIO

from kttt_extract.errors import InputTooLarge, UnreadableInput

MB = 1024 * 1024
_IN = 64 * 1024
_OUT = 1024 * 1024
_LOCAL = struct.Struct("<4s22xHH")  # signature ... file name length, extra field length
_LOCAL_SIGNATURE = b"PK\x03\x04"
_CRAFTED = "the file is corrupt or crafted; open it in Word or LibreOffice and save it again"
# what zipfile raises on a damaged archive: a version it does not know is NotImplementedError
ZIP_ERRORS: tuple[type[BaseException], ...] = (zipfile.BadZipFile, NotImplementedError, OSError,
                                               ValueError, EOFError, zlib.error)


def check_package(data: bytes, path: str, max_unzipped: int, kind: str = "DOCX") -> None:
    """Refuse a package whose members expand beyond `max_unzipped` bytes in all, or whose
    members hold more than their headers declare."""
    try:
        with zipfile.ZipFile(BytesIO(data)) as zf:
            members = zf.infolist()
    except ZIP_ERRORS:
        raise UnreadableInput(f"damaged {kind}: not a valid ZIP archive", path=path,
                              hint="the file is truncated or corrupt") from None
    declared = sum(info.file_size for info in members)
    if declared > max_unzipped:
        raise _too_large(f"expands to {declared / MB:.3g} MB", max_unzipped, path, kind)
    total = 0
    for info in members:
        size = _inflated_size(data, info, info.file_size, path, kind)
        if size > info.file_size:
            raise UnreadableInput(f"damaged {kind}: {info.filename!r} holds more than the "
                                  f"{info.file_size} bytes its header declares", path=path,
                                  hint=_CRAFTED)
        total += size
    if total > max_unzipped:  # members may share their data (overlapping entries)
        raise _too_large(f"expands to {total / MB:.3g} MB", max_unzipped, path, kind)


def _too_large(what: str, limit: int, path: str, kind: str) -> InputTooLarge:
    return InputTooLarge(f"{kind} {what}, over the {limit / MB:.3g} MB limit", path=path,
                         hint="raise it with --max-unzipped")


def _inflated_size(data: bytes, info: zipfile.ZipInfo, declared: int, path: str, kind: str
                   ) -> int:
    """How many bytes the member inflates to, counting no further than `declared` + 1."""
    start = _data_start(data, info, path, kind)
    raw = memoryview(data)[start:start + info.compress_size]
    if info.compress_type == zipfile.ZIP_STORED:
        return len(raw)
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise UnreadableInput(f"damaged {kind}: {info.filename!r} uses ZIP compression method "
                              f"{info.compress_type}, which Word never writes", path=path,
                              hint=_CRAFTED)
    size = 0
    try:
        for chunk in _inflate(raw):
            size += len(chunk)
            if size > declared:
                break
    except zlib.error:
        raise UnreadableInput(f"damaged {kind}: {info.filename!r} cannot be inflated",
                              path=path, hint="the file is truncated or corrupt") from None
    return size


def _data_start(data: bytes, info: zipfile.ZipInfo, path: str, kind: str) -> int:
    head = data[info.header_offset:info.header_offset + _LOCAL.size]
    if len(head) < _LOCAL.size or not head.startswith(_LOCAL_SIGNATURE):
        raise UnreadableInput(f"damaged {kind}: {info.filename!r} has no local header",
                              path=path, hint="the file is truncated or corrupt")
    _, name_len, extra_len = _LOCAL.unpack(head)
    return int(info.header_offset) + _LOCAL.size + int(name_len) + int(extra_len)


def _inflate(raw: memoryview) -> Iterator[bytes]:
    """Raw deflate data inflated in pieces of at most 1 MB."""
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    for at in range(0, len(raw), _IN):
        pending: bytes = bytes(raw[at:at + _IN])
        while pending:
            out = inflater.decompress(pending, _OUT)
            pending = inflater.unconsumed_tail
            if out:
                yield out
            if inflater.eof:
                return
    tail = inflater.flush()
    if tail:
        yield tail
