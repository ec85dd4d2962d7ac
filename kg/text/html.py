"""A saved web page to its main text, aligned to the page source."""

from __future__ import annotations

import html
import re
from array import array

from kg.text.aligned import AlignedText

_TOKEN = re.compile(
    r"<!--.*?(?:-->|$)"
    r"|<!\[CDATA\[.*?\]\]>"
    r"|<![^>]*>|<\?[^>]*>"
    r"|<(?P<raw>script|style|noscript|template|svg|textarea|select|object)\b[^>]*>.*?(?:</(?P=raw)\s*>|$)"
    r"|<(?P<close>/)?(?P<tag>[a-zA-Z][a-zA-Z0-9:-]*)(?P<attrs>(?:[^>\"']|\"[^\"]*\"|'[^']*')*)>"
    r"|&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});?",
    re.S | re.I,
)
_ATTR = re.compile(r"""([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""")

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
_BLOCK = {
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "center",
    "dd",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "tbody",
    "thead",
    "tfoot",
    "tr",
    "ul",
    "title",
    "caption",
}
_CELL = {"td", "th"}
_SKIP_TAGS = {"nav", "aside", "footer", "form", "button", "iframe", "head", "map", "menu"}
_BOILERPLATE = re.compile(
    r"nav|menu|footer|breadcrumb|crumb|share|copyright|sidebar|toolbar|search|login|banner|qrcode|"
    r"pagination|pager|related|xgwz|xglj|friendlink|(^|[-_])(top|bottom|foot|head|header|links?|dh|wzdh)([-_\d]|$)",
    re.I,
)
_META_NAMES = {
    "articletitle": "标题",
    "pubdate": "发布日期",
    "contentsource": "来源",
    "sitename": "网站",
    "columnname": "栏目",
}
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u3000]+")


def html_to_text(source: str) -> tuple[AlignedText, dict[str, str]]:
    """The readable text of a page, one line per block, aligned to ``source``.

    Scripts, styles, navigation, headers, footers and link lists are dropped;
    ``<title>`` and the ``<meta>`` fields common on government sites
    (ArticleTitle, PubDate, ContentSource …) are returned as metadata.

    >>> text, meta = html_to_text('<title>报告</title><nav><a href="/">首页</a></nav><p>一、主要工作&nbsp;情况</p>')
    >>> text.text, meta
    ('一、主要工作 情况', {'page_title': '报告'})
    """
    chars: list[str] = []
    starts = array("i")
    ends = array("i")
    in_link = bytearray()
    metadata: dict[str, str] = {}
    stack: list[tuple[str, bool]] = []  # (tag, skipped)
    skip_depth = 0
    link_depth = 0
    title_start: int | None = None
    title_parts: list[str] = []
    links: list[str] = []  # the attributes of <link> elements (a canonical address among them)

    def emit(text: str, start: int, end: int, per_char: bool) -> None:
        chars.append(text)
        if per_char:
            starts.extend(range(start, start + len(text)))
            ends.extend(range(start + 1, start + len(text) + 1))
        else:
            starts.extend([start] * len(text))
            ends.extend([end] * len(text))
        in_link.extend((1 if link_depth else 0,) * len(text))

    def emit_data(text: str, start: int, end: int, per_char: bool) -> None:
        if title_start is not None:
            title_parts.append(text if per_char else html.unescape(text))
        elif not skip_depth and text:
            emit(text, start, end, per_char)

    pos = 0
    for match in _TOKEN.finditer(source):
        if match.start() > pos:
            emit_data(source[pos : match.start()], pos, match.start(), True)
        pos = match.end()
        token = match.group(0)
        if token.startswith("&"):
            emit_data(html.unescape(token), match.start(), match.end(), False)
            continue
        tag = (match.group("tag") or "").lower()
        if not tag:
            continue  # comment, doctype, processing instruction, raw-text element
        attrs = match.group("attrs") or ""
        if match.group("close"):
            if tag == "title" and title_start is not None:
                metadata["page_title"] = _SPACES.sub(" ", "".join(title_parts)).strip()
                title_start = None
            if tag == "a" and link_depth:
                link_depth -= 1
            if any(t == tag for t, _ in stack):
                while stack:
                    t, skipped = stack.pop()
                    skip_depth -= skipped
                    if t == tag:
                        break
            if (tag in _BLOCK or tag in _CELL) and not skip_depth:
                emit("\n" if tag in _BLOCK else " | ", match.start(), match.start(), False)
            continue
        if tag == "meta":
            _read_meta(attrs, metadata)
            continue
        if tag == "link":
            links.append(attrs)
            continue
        if tag == "title":
            title_start, title_parts = match.start(), []
            continue
        if tag == "a" and not token.endswith("/>"):
            link_depth += 1
        if (tag in _BLOCK or tag in _CELL) and not skip_depth:
            emit("\n" if tag in _BLOCK else " | ", match.start(), match.start(), False)
        if tag in _VOID or token.endswith("/>"):
            continue
        skipped = tag in _SKIP_TAGS or (tag == "header" and not _inside(stack, ("article", "main"))) or _is_boilerplate(attrs)
        stack.append((tag, skipped))
        skip_depth += skipped
    if pos < len(source):
        emit_data(source[pos:], pos, len(source), True)

    address = page_address(source, links)
    if address:
        metadata["url"] = address
    text = AlignedText("".join(chars), starts, ends)
    return _drop_link_lines(text, in_link), metadata


def _inside(stack: list[tuple[str, bool]], tags: tuple[str, ...]) -> bool:
    return any(t in tags for t, _ in stack)


def _is_boilerplate(attrs: str) -> bool:
    for name, value in _ATTR.findall(attrs):
        if name.lower() in ("class", "id", "role") and _BOILERPLATE.search(value.strip("\"'")):
            return True
    return False


def _read_meta(attrs: str, metadata: dict[str, str]) -> None:
    fields = {name.lower(): value.strip("\"'") for name, value in _ATTR.findall(attrs)}
    content = html.unescape(fields.get("content", "")).strip()
    if not content:
        return
    if fields.get("property", "").lower() == "og:url":
        metadata.setdefault("url", content)  # a canonical link, read at the end, wins
    key = _META_NAMES.get(fields.get("name", "").lower())
    if key:
        metadata[key] = content


# where a saved page keeps its address: <!-- saved from url=(0055)http://… --> and <link rel="canonical" href="…">
_SAVED_FROM = re.compile(r"<!--\s*saved from url=\(\d+\)(\S+?)\s*-->", re.I)


def page_address(source: str, attrs_of_links: list[str]) -> str | None:
    """The address a saved page came from: its canonical link, else the browser's saved-from note."""
    for attrs in attrs_of_links:
        fields = {name.lower(): value.strip("\"'") for name, value in _ATTR.findall(attrs)}
        if fields.get("rel", "").lower() == "canonical" and fields.get("href", "").startswith(("http://", "https://")):
            return html.unescape(fields["href"])
    saved = _SAVED_FROM.search(source[:4000])
    return saved.group(1) if saved and saved.group(1).startswith(("http://", "https://")) else None


def _drop_link_lines(text: AlignedText, in_link: bytearray) -> AlignedText:
    """Delete lines that are mostly link text (menus, related articles), then tidy spaces."""
    edits = []
    pos = 0
    for line in text.text.split("\n"):
        end = pos + len(line)
        visible = sum(1 for c in line if not c.isspace() and c != "|")
        linked = sum(1 for i in range(pos, end) if in_link[i] and not text.text[i].isspace())
        if visible and linked >= 0.6 * visible:
            edits.append((pos, end, ""))
        pos = end + 1
    text = text.edit(edits)
    text = text.sub(_SPACES, " ")
    text = text.sub(re.compile(r" *\n[ \n]*"), "\n")
    return text.sub(re.compile(r"^\n+|\n+$"), "")
