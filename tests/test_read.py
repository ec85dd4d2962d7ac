"""Reading: encodings detected, formats converted, bad files refused with a reason."""

from __future__ import annotations

import codecs

import formats
import pytest

from conftest import CORPUS, SEED, require_corpus
from kg.extract.pipeline import process
from kg.text.read import ReadError, decode, read


def _comparable(report):
    data = report.to_dict()
    for key in ("file", "encoding"):
        data.pop(key)
    return data


@pytest.mark.parametrize("seed", ["000", "002", "003"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-be-bom", "utf-16-le", "utf-16-be", "gb18030"])
def test_same_report_in_each_encoding_gives_identical_results(tmp_path, seed, encoding):
    text = SEED[seed].read_text(encoding="utf-8")
    if encoding == "utf-16-be-bom":
        data = codecs.BOM_UTF16_BE + text.encode("utf-16-be")
    else:
        data = text.encode(encoding)
    copy = tmp_path / f"{seed}.txt"
    copy.write_bytes(data)
    assert _comparable(process(copy)) == _comparable(process(SEED[seed]))


@pytest.mark.parametrize("page", ["d036", "d048"])
def test_traditional_page_in_big5_reads_like_utf8(tmp_path, page):
    require_corpus()
    source = CORPUS / f"{page}.txt"
    text = source.read_text(encoding="utf-8")
    # the mirrors carry characters Big5 lacks; keep what Big5 can say
    text = text.encode("big5hkscs", errors="ignore").decode("big5hkscs")
    utf8, big5 = tmp_path / "u.txt", tmp_path / "b.txt"
    utf8.write_text(text, encoding="utf-8")
    big5.write_bytes(text.encode("big5hkscs"))
    assert read(big5).encoding in ("big5", "big5hkscs")
    assert _comparable(process(big5)) == _comparable(process(utf8))


def test_gbk_and_big5_are_told_apart():
    assert decode("依法行政,建设法治政府。".encode("gbk"))[:2] == ("依法行政,建设法治政府。", "gb18030")
    assert decode("依法行政,建設法治政府。".encode("big5"))[:2] == ("依法行政,建設法治政府。", "big5")
    assert decode("香港特區,啓德".encode("big5hkscs"))[:2] == ("香港特區,啓德", "big5hkscs")  # 啓 is HKSCS only


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "gb18030", "big5"])
def test_every_dev_report_is_read_in_the_encodings_users_meet(encoding):
    """All 118 seed and corpus texts, whole and cut to 60 characters (bench.encodings compares with charset-normalizer)."""
    import opencc

    from conftest import CORPUS2

    require_corpus()
    traditional = opencc.OpenCC("s2t")
    wrong = []
    for path in sorted(SEED.values()) + sorted(CORPUS.glob("*.txt")) + sorted(CORPUS2.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        for part in (text, text[:60]):
            data = (traditional.convert(part) if encoding == "big5" else part).encode(encoding, errors="ignore")
            if decode(data)[0] != data.decode(encoding):
                wrong.append(f"{path.name}[:{len(part)}]")
    assert not wrong


def test_a_damaged_byte_is_replaced_not_a_reason_to_misread_the_file():
    text = SEED["000"].read_text(encoding="utf-8")
    cut = len(text[:1000].encode("utf-8"))
    for encoding in ("utf-8", "gb18030"):
        data = text.encode(encoding)
        cut = len(text[:1000].encode(encoding))
        decoded, found, warnings = decode(data[:cut] + b"\xff" + data[cut:])
        assert found == encoding and decoded == text[:1000] + "\ufffd" + text[1000:]
        assert warnings == [f"1 byte sequence(s) not valid {encoding}: replaced by \ufffd"]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty file"),
        (b"  \n\t\n", "empty file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "binary"),
        (b"\xff\xfe" + "报告".encode("utf-16-le") + b"\x00\xd8", "byte-order mark"),
        (b"%PDF-1.4\n%garbage", "PDF"),
        (b"PK\x03\x04garbage", "ZIP"),
    ],
)
def test_unreadable_files_are_refused_with_the_reason(tmp_path, content, reason):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(ReadError, match=reason):
        read(path)


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(ReadError, match="no such file"):
        read(tmp_path / "nowhere.txt")


PAGE = """<!DOCTYPE html><html><head><meta charset="gbk"><title>七里街道2021年度法治政府建设工作报告_汉台区人民政府</title>
<meta name="ArticleTitle" content="汉中市汉台区七里街道办事处2021年度法治政府建设工作报告">
<script>var nav = "一、不是正文";</script><style>p { color: red }</style></head>
<body><div class="nav"><a href="/">首页</a> <a href="/x">走进汉台</a> <a href="/y">新闻中心</a></div>
<div class="article"><h1>汉中市汉台区七里街道办事处2021年度法治政府建设工作报告</h1>
<p>一、主要工作情况</p><p>(一)加强组织领导。成立了街道普法依法治理工作领导小组&nbsp;,全年开展《民法典》学习4场。</p>
<p>二、存在的问题</p><p>一是行政执法行为还不够规范。二是“谁执法谁普法”责任制落实还有待加强。</p>
<p>三、下一步工作打算</p><p>全面推行行政执法公示制度。</p></div>
<div class="related"><a href="/1">相关稿件一</a><a href="/2">相关稿件二</a></div></body></html>"""


def test_saved_web_page_gives_main_text_aligned_to_the_source(tmp_path):
    path = tmp_path / "page.html"
    path.write_bytes(PAGE.encode("gbk"))
    source = read(path)
    assert source.encoding == "gb18030" and source.format == "html"
    assert "首页" not in source.body.text and "不是正文" not in source.body.text and "相关稿件" not in source.body.text
    assert source.metadata["标题"].startswith("汉中市汉台区七里街道")
    report = process(path)
    assert report.unit.code == "610702008" and report.year == 2021
    assert [s.type.value for s in report.sections] == ["work", "work", "problems", "plans"]
    for mention in report.instruments + report.measures:
        assert source.original[mention.evidence.start : mention.evidence.end] == mention.evidence.quote
    law = next(m for m in report.instruments if m.label == "中华人民共和国民法典")
    assert "&nbsp;" in law.evidence.quote  # the span covers the page source, entities and all


def test_word_document_is_read(tmp_path):
    path = tmp_path / "report.docx"
    path.write_bytes(formats.docx(SEED["000"].read_text(encoding="utf-8")))
    report = process(path)
    assert report.format == "docx" and report.unit.code == "610702008" and report.year == 2021
