"""Word and PDF versions of a text report, written in plain Python for the reading tests.

The PDF uses a Type0 font over the predefined Adobe-GB1 collection with a ToUnicode map, the way
office suites write Chinese text, so pypdf extracts exactly the characters put in.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from xml.sax.saxutils import escape

WORD = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def docx(text: str) -> bytes:
    """A minimal Word package: one paragraph per line."""
    body = "".join(f'<w:p><w:r><w:t xml:space="preserve">{escape(line)}</w:t></w:r></w:p>' for line in text.splitlines())
    document = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{WORD}"><w:body>{body}</w:body></w:document>'
    types = (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, part in (("[Content_Types].xml", types), ("word/document.xml", document)):
            archive.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), part)
    return buffer.getvalue()


def pdf(text: str, lines_per_page: int = 40) -> bytes:
    """A PDF with a text layer: each line drawn as UTF-16 glyph codes mapped back by a ToUnicode CMap."""
    lines = text.splitlines() or [""]
    pages = [lines[i : i + lines_per_page] for i in range(0, len(lines), lines_per_page)]
    codes = sorted({ord(c) for c in text if ord(c) <= 0xFFFF and c not in "\r\n"})
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]  # the page tree is filled in below
    font = _add(
        objects,
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /Identity-H "
        b"/DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>" % (len(objects) + 2, len(objects) + 3),
    )
    _add(
        objects,
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 >>",
    )
    _add(objects, _stream(_to_unicode(codes)))
    kids = []
    for page in pages:
        content = (
            b"BT /F1 10 Tf 12 TL 36 800 Td " + b" ".join(b"<%s> Tj T*" % line.encode("utf-16-be").hex().encode() for line in page) + b" ET"
        )
        contents = _add(objects, _stream(content))
        kids.append(
            _add(
                objects,
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
                b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (contents, font),
            )
        )
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    return _file(objects)


def _add(objects: list[bytes], body: bytes) -> int:
    objects.append(body)
    return len(objects)


def _stream(data: bytes) -> bytes:
    packed = zlib.compress(data, 9)
    return b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + packed + b"\nendstream"


def _to_unicode(codes: list[int]) -> bytes:
    head = (
        b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /UCS def /CMapType 2 def "
        b"1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
    )
    body = b""
    for start in range(0, len(codes), 100):  # at most 100 entries per block
        chunk = codes[start : start + 100]
        body += b"%d beginbfchar\n" % len(chunk) + b"".join(b"<%04X> <%04X>\n" % (c, c) for c in chunk) + b"endbfchar\n"
    return head + body + b"endcmap CMapName currentdict /CMap defineresource pop end end"


def _file(objects: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
