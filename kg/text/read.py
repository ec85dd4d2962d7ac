"""Bytes to text: encoding detection and HTML/DOCX/PDF to plain text."""

from __future__ import annotations

import codecs
import io
import os
import re
import stat
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from xml.etree import ElementTree

from kg.text.aligned import AlignedText

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text"}
HTML_SUFFIXES = {".html", ".htm", ".shtml", ".xhtml"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | {".docx", ".pdf"}

_BOMS = (  # longest first: the UTF-32 LE BOM starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_LEGACY_CANDIDATES = ("gb18030", "big5", "big5hkscs")  # Big5 before its HKSCS superset: they map a few codes apart
_UTF16_CANDIDATES = ("utf-16-le", "utf-16-be")
_DECLARED_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


class ReadError(Exception):
    """A file that cannot be read as a report; the message says why."""


@dataclass
class Source:
    """One input file as text.

    ``original`` is the file's full decoded text; every offset the project
    reports points into it. ``body`` is the readable text (the same as
    ``original`` for plain text; the page's main text for HTML) aligned to it.
    """

    path: str
    original: str
    body: AlignedText
    encoding: str
    format: str
    metadata: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


MAX_FILE_BYTES = 64 * 1024 * 1024  # a report is a few hundred kilobytes; a larger file is refused, not read


def read(path: str | Path) -> Source:
    """Read one report file, whatever its encoding and format.

    Raises :class:`ReadError` for missing, empty, too large, binary or undecodable files.
    """
    return read_bytes(load(path), str(path))


def load(path: str | Path) -> bytes:
    """The bytes of a report file (a regular file, at most :data:`MAX_FILE_BYTES`), or :class:`ReadError`."""
    path = Path(path)
    try:
        status = os.stat(path)
        if stat.S_ISDIR(status.st_mode):
            raise ReadError("is a directory")
        if not stat.S_ISREG(status.st_mode):
            raise ReadError("not a regular file (a FIFO, device or socket): not read")
        if status.st_size > MAX_FILE_BYTES:
            raise ReadError(f"too large: {status.st_size:,} bytes (the limit is {MAX_FILE_BYTES:,})")
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ReadError("no such file") from None
    except OSError as err:
        raise ReadError(f"cannot be read ({err.strerror or err})") from None
    if len(data) > MAX_FILE_BYTES:
        raise ReadError(f"too large: more than {MAX_FILE_BYTES:,} bytes")
    return data


def read_bytes(data: bytes, name: str) -> Source:
    """Decode the bytes of a file called ``name`` (the suffix picks the format)."""
    if not data.strip():
        raise ReadError("empty file")
    suffix = Path(name).suffix.lower()
    if data.startswith(b"%PDF"):
        return _read_pdf(data, name)
    if data.startswith(b"PK\x03\x04"):
        return _read_docx(data, name)
    if suffix in (".docx", ".pdf"):
        raise ReadError(f"not a valid {suffix[1:].upper()} file")

    is_html = suffix in HTML_SUFFIXES or _looks_like_html(data)
    text, encoding, warnings = decode(data, declared=_declared_charset(data) if is_html else None)
    if not text.strip():
        raise ReadError("empty file")
    if is_html:
        from kg.text.html import html_to_text

        body, metadata = html_to_text(text)
        if not body.text.strip():
            raise ReadError("HTML page without any text")
        return Source(name, text, body, encoding, "html", metadata, warnings)
    return Source(name, text, AlignedText.identity(text), encoding, "markdown" if suffix in (".md", ".markdown") else "text", {}, warnings)


def decode(data: bytes, declared: str | None = None) -> tuple[str, str, list[str]]:
    """Detect the encoding of ``data`` and decode it.

    Order of evidence: a byte-order mark; a charset declared by an HTML page,
    if the bytes agree; strict UTF-8; otherwise UTF-8, UTF-16 (either byte
    order, without a mark), GB18030 or Big5, whichever reads most like text:
    the largest share of common Chinese characters, ASCII and punctuation,
    a damaged byte counting against it. NUL bytes that no UTF-16 reading
    explains mean a binary file.

    >>> decode("法治政府".encode("gb18030"))[:2]
    ('法治政府', 'gb18030')
    >>> decode("法治政府".encode("big5"))[:2]
    ('法治政府', 'big5')
    >>> decode("法治政府建设年度报告".encode("utf-16-le"))[:2]
    ('法治政府建设年度报告', 'utf-16-le')
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return _checked(data[len(bom) :].decode(encoding)), encoding, []
            except UnicodeDecodeError:
                raise ReadError(f"starts with a {encoding} byte-order mark but is not valid {encoding}") from None

    if b"\x00" in data:  # only UTF-16 explains NUL bytes in a text (its ASCII characters)
        return _likeliest(data, _UTF16_CANDIDATES if len(data) % 2 == 0 else (), [], binary=True)
    warnings: list[str] = []
    if declared:
        try:
            codec = codecs.lookup(declared).name
        except LookupError:
            codec = None
        if codec in ("gb2312", "gbk", "euc_cn", "hz"):
            codec = "gb18030"  # pages labelled GB2312 routinely contain GBK characters
        if codec:
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                warnings.append(f"page declares charset {declared} but is not valid {declared}")
            else:
                if codec.startswith("utf") or _common_share(text) >= 0.5:
                    return _checked(text), codec, warnings
                warnings.append(f"page declares charset {declared} but reads better otherwise")

    try:
        return _checked(data.decode("utf-8")), "utf-8", warnings
    except UnicodeDecodeError as err:
        if err.start >= len(data) - 3 and err.reason == "unexpected end of data":
            # a file cut inside its last character (an excerpt saved by byte count): the rest is good UTF-8
            warnings.append(f"the last {len(data) - err.start} byte(s) are a character cut short: dropped")
            return _checked(data[: err.start].decode("utf-8")), "utf-8", warnings

    return _likeliest(data, ("utf-8", *(_UTF16_CANDIDATES if len(data) % 2 == 0 else ()), *_LEGACY_CANDIDATES), warnings)


def _likeliest(data: bytes, candidates: tuple[str, ...], warnings: list[str], binary: bool = False) -> tuple[str, str, list[str]]:
    """The candidate decoding that reads most like text (see :func:`_text_share`).

    Each is read leniently, a bad byte sequence replaced by U+FFFD (which
    counts against it), so a file with one damaged byte is still read in its
    own encoding rather than wholesale in a wrong one.
    """
    best: tuple[float, str, str, int] | None = None
    for encoding in candidates:
        text = data.decode(encoding, errors="replace")
        score = _text_share(text)
        if best is None or score > best[0]:
            best = (score, text, encoding, text.count("\ufffd"))
    if best is None or best[0] < (0.75 if binary else 0.5):
        raise ReadError(
            "binary data (NUL bytes), not a text report" if binary else "not text in any encoding kg knows (UTF-8, UTF-16, GB18030, Big5)"
        )
    score, text, encoding, replaced = best
    if replaced:
        warnings.append(f"{replaced} byte sequence(s) not valid {encoding}: replaced by \ufffd")
    if encoding in _LEGACY_CANDIDATES and _common_share(text) < 0.6:
        warnings.append(f"encoding uncertain: read as {encoding} ({_common_share(text):.0%} common characters)")
    return _checked(text), encoding, warnings


def _checked(text: str) -> str:
    """Refuse decoded text that is mostly control characters (a binary file)."""
    if len(_CONTROL.findall(text[:4096])) > max(8, len(text[:4096]) // 50):
        raise ReadError("binary data (control characters), not a text report")
    return text


@lru_cache(maxsize=1)
def _common_characters() -> frozenset[str]:
    """The 3,755 level-1 characters of GB2312 and the 5,401 common characters of Big5."""
    chars: set[str] = set()
    for lead in range(0xB0, 0xD8):
        for trail in range(0xA1, 0xFF):
            try:
                chars.add(bytes((lead, trail)).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    for lead in range(0xA4, 0xC7):
        for trail in list(range(0x40, 0x7F)) + list(range(0xA1, 0xFF)):
            try:
                chars.add(bytes((lead, trail)).decode("big5"))
            except UnicodeDecodeError:
                pass
    return frozenset(chars)


def _common_share(text: str) -> float:
    """Share of the Han characters in ``text`` that are common ones (1.0 if none)."""
    common = _common_characters()
    han = [c for c in text[:20000] if c >= "\u2e80" and not ("\uff00" <= c <= "\uffef") and not ("\u3000" <= c <= "\u303f")]
    if not han:
        return 1.0
    return sum(c in common for c in han) / len(han)


_TEXT_PUNCTUATION = re.compile(r"[\s!-~\u3000-\u303f\uff00-\uffef\u2010-\u2027\u00b7]")


def _text_share(text: str) -> float:
    """How much ``text`` reads like a report: the share of its first characters that are common Chinese
    characters, ASCII or punctuation (a wrong decoding gives rare characters, scripts and private use)."""
    sample = text[:20000]
    if not sample:
        return 0.0
    common = _common_characters()
    return sum(1 for c in sample if c in common or _TEXT_PUNCTUATION.match(c)) / len(sample)


def _looks_like_html(data: bytes) -> bool:
    head = data[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<?xml")) and b"<html" in data[:4096].lower()


def _declared_charset(data: bytes) -> str | None:
    match = _DECLARED_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii") if match else None


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

# Limits for packaged formats, so that a crafted file is refused by a rule rather than by the OOM
# killer or a watchdog (a rule gives the same answer on every machine; a clock does not).
MAX_ZIP_ENTRIES = 10_000  # a Word document has a few dozen parts
MAX_XML_BYTES = MAX_FILE_BYTES  # word/document.xml, decompressed
MAX_PDF_PAGES = 2_000  # a yearly report has tens of pages
MAX_TEXT_CHARS = 16 * 1024 * 1024  # extracted text; far above any report, far below a decompression bomb


def _read_docx(data: bytes, name: str) -> Source:
    """Paragraph text of a Word document (one line per paragraph, tables row by row)."""
    try:
        xml = _document_xml(data)
        root = ElementTree.fromstring(xml)
        text = "\n".join(_paragraphs(root))
    except ReadError:
        raise
    except Exception as err:  # zipfile, zlib and the XML parser raise many kinds; each means a damaged file
        raise ReadError(f"damaged Word document ({type(err).__name__}: {_short(err)})") from None
    if not text.strip():
        raise ReadError("Word document without any text")
    return Source(name, text, AlignedText.identity(text), "docx", "docx")


def _document_xml(data: bytes) -> bytes:
    """The main part of a Word package, read within :data:`MAX_ZIP_ENTRIES` and :data:`MAX_XML_BYTES`."""
    if _zip_entry_count(data) > MAX_ZIP_ENTRIES:
        raise ReadError(f"ZIP archive with more than {MAX_ZIP_ENTRIES:,} entries: not read")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ReadError("ZIP archive that is not a Word document") from None
    with archive:
        try:
            info = archive.getinfo("word/document.xml")
        except KeyError:
            raise ReadError("ZIP archive that is not a Word document") from None
        if info.file_size > MAX_XML_BYTES:
            raise ReadError(f"Word document of {info.file_size:,} bytes unpacked (the limit is {MAX_XML_BYTES:,})")
        with archive.open(info) as part:
            xml = part.read(MAX_XML_BYTES + 1)  # the declared size may lie; the read is bounded anyway
    if len(xml) > MAX_XML_BYTES:
        raise ReadError(f"Word document of more than {MAX_XML_BYTES:,} bytes unpacked")
    if b"<!ENTITY" in xml or b"<!DOCTYPE" in xml:  # Word never writes them; entity expansion is a bomb
        raise ReadError("Word document with a document type declaration: not read")
    return xml


def _zip_entry_count(data: bytes) -> int:
    """Entries declared by the archive's end record (read before :mod:`zipfile` lists them all)."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if end < 0 or end + 22 > len(data):
        return 0  # no end record: zipfile reports the damage
    return int.from_bytes(data[end + 10 : end + 12], "little")


def _paragraphs(root: ElementTree.Element) -> list[str]:
    lines: list[str] = []
    for paragraph in root.iter(f"{_W}p"):
        parts = []
        for node in paragraph.iter():
            if node.tag == f"{_W}t" and node.text:
                parts.append(node.text)
            elif node.tag == f"{_W}tab":
                parts.append("\t")
            elif node.tag in (f"{_W}br", f"{_W}cr"):
                parts.append("\n")
        lines.append("".join(parts))
    return lines


def _read_pdf(data: bytes, name: str) -> Source:
    """Text layer of a PDF, page by page (scanned PDFs without text are refused)."""
    import logging

    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.CRITICAL)
    pages: list[str] = []
    size = 0
    try:
        reader = PdfReader(io.BytesIO(data))
        count = len(reader.pages)
        if count > MAX_PDF_PAGES:
            raise ReadError(f"PDF of {count:,} pages (the limit is {MAX_PDF_PAGES:,})")
        for page in reader.pages:
            page_text = page.extract_text() or ""
            size += len(page_text)
            if size > MAX_TEXT_CHARS:
                raise ReadError(f"PDF with more than {MAX_TEXT_CHARS:,} characters of text")
            pages.append(page_text)
    except ReadError:
        raise
    except Exception as err:  # pypdf raises many kinds (its limits, RecursionError); each means a damaged file
        raise ReadError(f"damaged PDF ({type(err).__name__}: {_short(err)})") from None
    text = "\n".join(pages)
    if not text.strip():
        raise ReadError("PDF without a text layer (scanned?)")
    return Source(name, text, AlignedText.identity(text), "pdf", "pdf")


def _short(err: BaseException) -> str:
    """An exception's message on one line of at most 120 characters."""
    message = " ".join(str(err).split()) or "no detail"
    return message if len(message) <= 120 else message[:119] + "…"
