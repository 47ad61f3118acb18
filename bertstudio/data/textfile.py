"""Text files in, decoded lines out: the encoding comes from the byte-order mark or the user.

UTF-8, UTF-8/16/32 with a byte-order mark, or an explicit encoding; undecodable bytes and NUL
characters raise DataImportError with the byte offset and line, never replaced silently. Files are
read in large decoded chunks and split into physical lines (\\n, \\r\\n or \\r), so a file of any
size streams in constant memory.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from pathlib import Path

from bertstudio.errors import DataImportError

SAMPLE_BYTES = 256 * 1024
CHUNK_CHARS = 1 << 20
END_OF_FILE = "\x00"  # fed after the last line: ends up inside a field only when a quote is never closed
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_NOT_TEXT = (
    (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx workbook?)", "In Excel: File > Save As > CSV UTF-8."),
    (b"\xd0\xcf\x11\xe0", "an old Excel/Office document", "In Excel: File > Save As > CSV UTF-8."),
    (b"\x1f\x8b", "gzip-compressed", "Decompress it first (gunzip)."),
    (b"%PDF", "a PDF document", "Export the table as CSV."),
    (b"PAR1", "a Parquet file", "Convert it to CSV or JSON Lines first."),
)


def iter_text_lines(path: str | Path, encoding: str | None = None) -> Iterator[str]:
    """A text file's lines without their line endings, streamed (same encoding rules and errors as
    `read_table`)."""
    path = Path(path)
    encoding = choose_encoding(path, read_head(path), encoding)
    with open(path, encoding=encoding, newline="") as handle:
        for line in stream_lines(handle, path, encoding):
            if line == END_OF_FILE:
                return
            yield line.rstrip("\r\n")


def read_head(path: Path) -> bytes:
    try:
        with open(path, "rb") as handle:
            head = handle.read(SAMPLE_BYTES)
    except FileNotFoundError:
        raise DataImportError("The file does not exist.", "Check the path.", path=path) from None
    except IsADirectoryError:
        raise DataImportError("This is a folder, not a data file.", "Pick a file.", path=path) from None
    except PermissionError:
        raise DataImportError("The file cannot be read (permission denied).", path=path) from None
    if not head:
        raise DataImportError(
            "The file is empty (0 bytes).", "Export the table again: a header row and data rows.", path=path
        )
    for magic, what, hint in _NOT_TEXT:
        if head.startswith(magic):
            raise DataImportError(f"This is {what}, not a text table.", hint, path=path, byte_offset=0)
    return head


def choose_encoding(path: Path, head: bytes, encoding: str | None) -> str:
    bom_encoding = next((name for bom, name in _BOMS if head.startswith(bom)), None)
    if encoding is not None:
        try:
            codec_info = codecs.lookup(encoding)
        except LookupError:
            raise DataImportError(
                f"Unknown encoding {encoding!r}.", "Use e.g. utf-8, cp1252, latin-1, utf-16.", path=path
            ) from None
        if not getattr(codec_info, "_is_text_encoding", True):  # rot13, base64, zlib: not bytes -> text
            raise DataImportError(
                f"{encoding!r} is not a text encoding (it transforms data, it does not decode text).",
                "Use a text encoding, e.g. utf-8, cp1252, latin-1, utf-16.",
                path=path,
            )
        codec = codec_info.name
        # an explicit utf-8 on a file with a BOM must not leave U+FEFF in the first column name
        return "utf-8-sig" if codec == "utf-8" and bom_encoding == "utf-8-sig" else encoding
    if bom_encoding:
        return bom_encoding
    if b"\x00" in head:
        position = head.index(b"\x00")
        utf16 = head[1::2].count(0) > len(head) // 4 or head[0::2].count(0) > len(head) // 4
        raise DataImportError(
            "The file contains NUL bytes: it is binary, not a text table"
            + (" (or UTF-16 text without a byte-order mark)." if utf16 else "."),
            "If it is UTF-16 text, choose the encoding utf-16-le or utf-16-be (the Encoding box on the "
            "Data page, or --encoding utf-16-le); otherwise export the table as CSV UTF-8."
            if utf16
            else "Export the table as CSV UTF-8 text.",
            path=path,
            line=head[:position].count(b"\n") + 1,
            byte_offset=position,
        )
    return "utf-8"


def decode_head(path: Path, head: bytes, encoding: str) -> str:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        return decoder.decode(head, final=len(head) < SAMPLE_BYTES)
    except UnicodeError:  # also a stream the codec refuses as a whole (utf-16 without a BOM)
        raise _decode_error(path, encoding) from None


def stream_lines(handle: io.TextIOBase, path: Path, encoding: str) -> Iterator[str]:
    """The file's physical lines (\\n, \\r\\n or \\r endings kept), read in large decoded chunks.

    NUL characters and undecodable bytes raise DataImportError on the way; a sentinel line follows
    the last one so the CSV parser can tell an unclosed quote from a clean end.
    """
    pending: list[str] = []
    lines_before = 0
    while True:
        try:
            chunk = handle.read(CHUNK_CHARS)
        except UnicodeError:
            raise _decode_error(path, encoding) from None
        if not chunk:
            break
        if "\x00" in chunk:
            before = "".join(pending) + chunk[: chunk.index("\x00")]
            raise DataImportError(
                "The file contains a NUL character: it is binary or not in this encoding.",
                "Export the table again as CSV UTF-8 text.",
                path=path,
                line=lines_before + before.count("\n") + 1,
            )
        # cut after the last line break (a trailing \r may be half of \r\n)
        cut = max(chunk.rfind("\n"), chunk.rfind("\r", 0, len(chunk) - 1)) + 1
        if cut == 0:
            pending.append(chunk)
            continue
        block = "".join(pending) + chunk[:cut]
        pending = [chunk[cut:]]
        lines_before += block.count("\n")
        yield from io.StringIO(block, newline="")
    rest = "".join(pending)
    if rest:
        yield from io.StringIO(rest, newline="")
    yield END_OF_FILE


def _decode_error(path: Path, encoding: str) -> DataImportError:
    """Find the first undecodable byte (offset, line, the bytes) for an error the user can act on."""
    decoder = codecs.getincrementaldecoder(encoding)()
    consumed = 0
    line = 1
    with open(path, "rb") as handle:
        while True:
            chunk = handle.read(CHUNK_CHARS)
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                data, start, end = exc.object, exc.start, exc.end
                break
            except UnicodeError as exc:
                return DataImportError(
                    f"The file is not {encoding} text ({exc}).",
                    "Choose the file's encoding (e.g. utf-8; the Encoding box on the Data page, or --encoding), "
                    "or leave it to be detected.",
                    path=path,
                )
            if not chunk:
                return DataImportError(f"The file is not valid {encoding}.", path=path)
            consumed += len(chunk)
            line += chunk.count(b"\n")
    before = data[max(0, start - 40) : start].decode(encoding, errors="replace").splitlines()
    guess = _suggest_encoding(data[start : end + 3])
    return DataImportError(
        f"The bytes {data[start:end]!r} are not valid {encoding}"
        + (f" (after {before[-1]!r})" if before else ""),
        f"Choose the file's encoding, e.g. {guess} (the Encoding box on the Data page, "
        f"or --encoding {guess}), or save the file as UTF-8 (in Excel: CSV UTF-8).",
        path=path,
        line=line + data[:start].count(b"\n"),
        byte_offset=consumed - pending + start,
    )


def _suggest_encoding(bad: bytes) -> str:
    try:
        bad.decode("cp1252")
    except UnicodeDecodeError:
        return "latin-1"
    return "cp1252"
