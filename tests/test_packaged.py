"""Word and PDF files: read like the text they hold; damaged or crafted ones refused by a rule, never a crash."""

from __future__ import annotations

import io
import random
import signal
import zipfile
import zlib

import formats
import pytest

from conftest import SEED
from kg.extract.pipeline import process
from kg.text.read import MAX_PDF_PAGES, MAX_TEXT_CHARS, MAX_XML_BYTES, MAX_ZIP_ENTRIES, ReadError, read_bytes

TEXT = SEED["000"].read_text(encoding="utf-8")


def _essentials(report):
    return (
        report.unit.code,
        report.year,
        [s.type.value for s in report.sections],
        sorted(m.label for m in report.measures),
        sorted(m.label for m in report.instruments),
    )


@pytest.mark.parametrize("kind", ["pdf", "docx"])
def test_a_report_as_pdf_or_word_reads_like_its_text(tmp_path, kind):
    path = tmp_path / f"report.{kind}"
    path.write_bytes(getattr(formats, kind)(TEXT))
    report = process(path)
    assert report.format == kind
    assert _essentials(report) == _essentials(process(SEED["000"]))


class _Watchdog(Exception):
    pass


def _read_within(data: bytes, name: str, seconds: int = 20):
    """Source or ReadError, and nothing else, within a generous time (a hang fails the test, not CI)."""

    def expire(*_):
        raise _Watchdog(f"{name}: still reading after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        return read_bytes(data, name)
    except ReadError as err:
        assert str(err) and "\n" not in str(err), name
        return err
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _mutations(data: bytes, count: int, seed: int):
    """Byte flips, cuts, repeats and splices: the damage files meet on disks, in transfers and in fuzzers."""
    rng = random.Random(seed)
    for _ in range(count):
        buffer = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            at = rng.randrange(len(buffer))
            action = rng.choice(("flip", "cut", "repeat", "splice", "digit"))
            if action == "flip":
                buffer[at] ^= 1 << rng.randrange(8)
            elif action == "cut":
                del buffer[at : at + rng.randint(1, 200)]
            elif action == "repeat":
                buffer[at:at] = buffer[at : at + rng.randint(1, 200)] * rng.randint(2, 20)
            elif action == "splice":
                buffer[at:at] = rng.choice((b"[[[[[[[[", b"<<", b" 0 R ", b"-1", b"99999999999", b"\x00" * 9, b"endobj", b"PK\x05\x06"))
            elif buffer[at : at + 1].isdigit():
                buffer[at] = ord(rng.choice("0123456789"))
        yield bytes(buffer)


@pytest.mark.parametrize("kind", ["pdf", "docx"])
def test_mutated_files_are_read_or_refused_never_a_crash(kind):
    original = getattr(formats, kind)(TEXT)
    outcomes = [_read_within(data, f"mutant{n}.{kind}") for n, data in enumerate(_mutations(original, 200, seed=11))]
    refused = sum(isinstance(o, ReadError) for o in outcomes)
    assert 0 < refused < len(outcomes)  # the mutations reach both outcomes: the fuzzing is not vacuous


def test_mutated_word_xml_is_read_or_refused():
    rng = random.Random(5)
    xml = zipfile.ZipFile(io.BytesIO(formats.docx(TEXT))).read("word/document.xml")
    for n, damaged in enumerate(_mutations(xml, 100, seed=rng.randrange(1000))):
        _read_within(_package(damaged), f"xml{n}.docx")


def _package(document_xml: bytes, *, entries: int = 0, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        archive.writestr("word/document.xml", document_xml)
        for n in range(entries):
            archive.writestr(f"customXml/item{n}.xml", b"")
    return buffer.getvalue()


def _refused(data: bytes, name: str) -> str:
    outcome = _read_within(data, name)
    assert isinstance(outcome, ReadError), name
    return str(outcome)


def test_a_zip_bomb_is_refused_by_its_unpacked_size():
    bomb = _package(b" " * (MAX_XML_BYTES + 1))
    assert len(bomb) < MAX_XML_BYTES // 500
    assert "unpacked" in _refused(bomb, "bomb.docx")


def test_a_zip_that_understates_its_unpacked_size_is_still_bounded():
    data = bytearray(_package(b"<w:document/>" + b" " * (MAX_XML_BYTES + 1)))
    size = (MAX_XML_BYTES + 14).to_bytes(4, "little")
    for header, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # local and central uncompressed-size fields
        at = data.find(header)
        assert data[at + offset : at + offset + 4] == size
        data[at + offset : at + offset + 4] = (100).to_bytes(4, "little")
    _refused(bytes(data), "liar.docx")  # zipfile stops at the stated size and finds the CRC wrong


def test_a_zip_of_too_many_entries_is_refused_before_listing_them():
    assert "entries" in _refused(_package(b"<x/>", entries=MAX_ZIP_ENTRIES + 1, method=zipfile.ZIP_STORED), "many.docx")


def test_entity_expansion_is_refused():
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(b'<!ENTITY %c "%s">' % (ord("b") + i, (b"&%c;" % (ord("a") + i)) * 10) for i in range(8))
        + b']><w:document xmlns:w="'
        + formats.WORD.encode()
        + b'"><w:body><w:p><w:r><w:t>&i;</w:t></w:r></w:p></w:body></w:document>'
    )
    assert "document type" in _refused(_package(laughs), "laughs.docx")


def _pdf(objects: list[bytes]) -> bytes:
    return formats._file(objects)


_CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"


def test_a_flate_bomb_in_a_pdf_is_not_unpacked():
    bomb = zlib.compress(b"0 " * 50_000_000, 9)
    data = _pdf(
        [
            _CATALOG,
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R /MediaBox [0 0 600 800] >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(bomb) + bomb + b"\nendstream",
        ]
    )
    _refused(data, "bomb.pdf")


@pytest.mark.parametrize(
    "objects",
    [
        pytest.param([_CATALOG, b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>"], id="page tree loop"),
        pytest.param([_CATALOG + b"[" * 100_000 + b"]" * 100_000, b"<< /Type /Pages /Kids [] /Count 0 >>"], id="deep nesting"),
        pytest.param([b"<< /Type /Catalog /Pages 1 0 R >>"], id="catalog as page tree"),
    ],
)
def test_crafted_pdf_structures_are_refused(objects):
    _refused(_pdf(objects), "crafted.pdf")


def _shared_page_pdf(pages: int, content: bytes) -> bytes:
    packed = zlib.compress(content)
    kids = b" ".join(b"%d 0 R" % (n + 4) for n in range(pages))
    font = b"/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>"
    return _pdf(
        [
            _CATALOG,
            b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + packed + b"\nendstream",
        ]
        + [b"<< /Type /Page /Parent 2 0 R /Contents 3 0 R /MediaBox [0 0 600 800] %s >>" % font] * pages
    )


def test_too_many_pages_are_refused_before_any_is_read():
    assert "pages" in _refused(_shared_page_pdf(MAX_PDF_PAGES + 1, b"BT /F1 9 Tf (x) Tj ET"), "pages.pdf")


def test_text_beyond_the_limit_is_refused():
    per_page = 1_000_000
    pages = MAX_TEXT_CHARS // per_page + 1
    assert "characters" in _refused(_shared_page_pdf(pages, b"BT /F1 9 Tf (" + b"x" * per_page + b") Tj ET"), "text.pdf")


def test_crafted_files_among_reports_are_their_own_failures(tmp_path):
    from click.testing import CliRunner

    from kg.cli import main

    reports = tmp_path / "reports"
    reports.mkdir()
    for seed in ("000", "001"):
        (reports / SEED[seed].name).write_bytes(SEED[seed].read_bytes())
    (reports / "bomb.docx").write_bytes(_package(b" " * (MAX_XML_BYTES + 1)))
    (reports / "loop.pdf").write_bytes(_pdf([_CATALOG, b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>"]))
    (reports / "fine.pdf").write_bytes(formats.pdf(SEED["002"].read_text(encoding="utf-8")))
    result = CliRunner().invoke(main, ["build", str(reports), "-o", str(tmp_path / "out"), "--jobs", "1"])
    assert result.exit_code == 1, result.output
    failures = [line for line in result.output.splitlines() if "bomb.docx" in line or "loop.pdf" in line]
    assert len(failures) == 2 and "Traceback" not in result.output
    assert (tmp_path / "out" / "graph.ttl").exists()
    documents = (tmp_path / "out" / "documents.jsonl").read_text(encoding="utf-8")
    assert documents.count("\n") == 3 and "fine.pdf" in documents
