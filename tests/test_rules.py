"""Each extraction rule of issue 10, pinned by a short real passage (from the dev corpora, cut to what the rule needs).

The passages are copied here, so these tests need nothing beside the project. Where a rule is a
pattern of the genre, two passages from different reports show it.
"""

from __future__ import annotations

import pytest

from kg.extract.pipeline import process
from kg.link.hosts import read_address
from kg.link.words import is_place
from kg.model import SourceHint


@pytest.fixture
def report(tmp_path):
    """Process a passage as a report file: ``report(text, url=None, unit=None)``."""

    def run(text: str, url: str | None = None, unit: str | None = None, name: str = "r.txt"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return process(path, hint=SourceHint(url, unit) if url or unit else None)

    return run


def measures(r) -> set[tuple[str, str]]:
    return {(m.concept or m.label, m.status.value) for m in r.measures}


# ---------------------------------------------------------------------------- the reporting unit


def test_the_subject_after_leading_clauses_names_the_unit(report):
    # e009: two 在…下 clauses before the subject
    r = report(
        "2025年,在区委、区政府的坚强领导下,在区司法局的悉心指导下,荔枝街道坚持以习近平新时代中国特色社会主义思想为指导,"
        "深入学习贯彻习近平法治思想和习近平总书记视察重庆重要讲话重要指示精神,现将工作情况汇报如下。\n一、主要举措\n(一)加强领导。"
    )
    assert (r.unit.name, r.unit.code, r.unit.linked) == ("荔枝街道", "500102003", True)


def test_a_cover_letter_signature_names_a_department(report):
    # e032: the letter is signed by the department; the report follows as an annex
    r = report(
        "上海市浦东新区法治政府建设工作领导小组办公室:\n根据法治政府建设有关工作要求,我委拟就了报告,现呈上,请审阅。\n"
        "上海市浦东新区发展和改革委员会\n2024年1月19日\n附件\n2023年度法治政府建设情况的报告\n一、主要工作\n(一)加强学习。"
    )
    assert (r.unit.kind, r.unit.organ, r.unit.code) == ("department", "发展和改革委员会", "310115")


def test_a_department_named_only_by_its_field_and_the_places_it_names(report):
    # e038: 我局, 局党组, the field (生态环境) and the city (考察绍兴, 全市) — no name written in full
    r = report(
        "根据文件要求,现将法治政府建设工作情况报告如下。\n一、2023年总体情况\n2023年,我局坚持以习近平新时代中国特色社会主义思想为指导,"
        "坚决贯彻习近平总书记考察绍兴重要讲话精神,全面推进生态环境领域依法行政。局党组召开会议12次,举办生态环境大讲堂,"
        "已依法向市委市政府、省生态环境厅报告年度法治政府建设情况。全市生态环境系统执法检查。"
    )
    assert (r.unit.kind, r.unit.organ, r.unit.code) == ("department", "生态环境局", "330600")


def test_a_title_that_names_only_the_level_is_completed_by_the_documents_the_unit_issues(report):
    # e052: 县人民政府 only; its own 《岳阳县…》 documents name the county
    r = report(
        "根据有关规定,现将县人民政府2022年法治政府建设工作情况报告如下。\n一、主要成效\n"
        "2022年,县人民政府认真贯彻落实《湖南省法治政府建设实施纲要(2021—2025年)》。县人民政府领导班子带头开展学法,"
        "制定了《岳阳县人民政府常务会会前学法制度》《2022年岳阳县人民政府常务会会前学法计划》。"
    )
    assert (r.unit.name, r.unit.code) == ("岳阳县", "430621")


def test_a_street_named_by_its_short_name(report):
    # e054: 郭家沱 without 街道; the report speaks of itself as a 街道
    r = report(
        "区委、区政府:\n2023年,我们严格落实江北区委全面依法治区委员会工作要求,郭家沱交出优异答卷。"
        "现将2023年街道法治政府建设情况报告如下:\n一、主要措施\n(一)加强组织领导。"
    )
    assert (r.unit.name, r.unit.code) == ("郭家沱街道", "500157028")


def test_a_department_with_a_level_word_takes_the_place_its_documents_open_with(report):
    # e025: 市应急局 and 《2024年上海市…》
    r = report(
        "市委、市政府:\n根据《2024年上海市法治政府建设工作要点与责任分工》有关规定,市应急局对照要求,全面梳理总结2024年法治政府建设工作,"
        "现将有关情况报告如下。\n一、主要举措\n(一)深入学习。"
    )
    assert (r.unit.kind, r.unit.organ, r.unit.code) == ("department", "应急管理局", "310000")


def test_a_name_shared_by_several_divisions_stays_unlinked_until_the_address_decides(report):
    # e030: 15 streets are called 鼓楼街道 and the text names no parent; the page address does
    text = (
        "2025年,鼓楼街道办事处深入学习贯彻习近平法治思想,全面落实中央、市、区关于法治政府建设的工作部署。现将本年度工作情况报告如下:\n"
        "一、总体情况\n(一)健全机制。"
    )
    silent = report(text)
    assert not silent.unit.linked and len(silent.unit.candidates) > 5
    told = report(text, url="https://www.bjmy.gov.cn/zwgk/zfxxgk/fdzdgknr/qt/202602/t20260213_531006.html")
    assert (told.unit.code, told.unit.linked) == ("110118001", True)


def test_a_unit_stated_in_the_sources_list_is_tried_first(report):
    r = report("2024年,街道法治政府建设工作有序推进。\n一、主要工作\n(一)成立领导小组。", unit="涪陵区荔枝街道")
    assert r.unit.code == "500102003"


def test_page_addresses_name_places_departments_and_ministries():
    assert list(read_address("http://www.jiexi.gov.cn/jyjxjtj/post_914503.html").divisions) == ["445222"]  # 揭西县
    assert list(read_address("https://www.tjnh.gov.cn/zwgk/a.html").divisions) == ["120117"]  # 天津 + 宁河
    hint = read_address("http://jnssfj.jinan.gov.cn/art/2023/3/27/art_56091_4773062.html")
    assert list(hint.divisions) == ["370100"] and hint.organ == "司法局"  # 济南 + 司法局, fused
    assert read_address("https://fgs.moa.gov.cn/zfjd/a.htm").central == "农业农村部"
    assert not read_address("http://xmdta.com/ershoufang/13852.html")  # a mirror site says nothing


# ---------------------------------------------------------------------------- no phantom divisions


@pytest.mark.parametrize(
    "text,start,end,place",
    [
        ("坚持乡村振兴和县域经济协调发展", 6, 8, False),  # 和县 inside 和 | 县域
        ("建设平安区域", 2, 5, False),  # 平安区 inside 平安 | 区域
        ("打造新市民服务中心", 2, 4, False),  # 新市(区) inside 新 | 市民
        ("加强合作市场监管", 0, 3, False),  # 合作市 inside 合作 | 市场
        ("严格落实江北区委全面依法治区委员会工作要求", 4, 7, True),  # 江北 | 区委: the suffix opens the organ
        ("被纳入江苏省级法治景观", 3, 6, True),  # 江苏 | 省级
    ],
)
def test_a_division_name_counts_only_as_a_word(text, start, end, place):
    assert is_place(text, start, end, suffixed=True) is place


def test_no_division_is_read_into_words_brands_or_addresses(report):
    r = report(
        "七里街道2021年度法治政府建设工作报告\n一、主要工作\n坚持乡村振兴和县域经济协调发展,打造新市民服务中心。"
        "如有疑问请联系(地址:天津市和平区建设路18号)。"
    )
    named = {m.unit.code for m in r.organs if m.unit.kind == "division"}
    assert not named & {"341523", "650104", "120101"}  # 和县, 新市区, 和平区


# ---------------------------------------------------------------------------- never reject a real report


def test_a_report_flattened_into_one_line_is_read_with_its_outline(report):
    text = (
        "首页 走进汉台 新闻中心 汉中市汉台区七里街道办事处2021年度法治政府建设工作报告一、主要工作情况(一)加强组织领导。"
        + "成立了街道普法依法治理工作领导小组,由街道党工委书记任组长。" * 6
        + "二、存在的问题一是执法不规范。三、下一步工作打算加强培训。"
    )
    r = report(text)
    assert (r.unit.code, r.year) == ("610702008", 2021)
    assert [s.type.value for s in r.sections if s.parent is None] == ["work", "problems", "plans"]


def test_a_passage_without_title_year_or_unit_is_a_report_if_it_speaks_of_the_work(report, tmp_path):
    r = report("严格落实行政执法三项制度,聘请法律顾问参与重大行政决策,开展普法宣传进社区活动。")
    assert r.unit is None and len(r.measures) >= 3
    from kg.text.read import ReadError

    with pytest.raises(ReadError, match="does not look like a report"):
        report("今天天气很好。我们去公园散步,看到很多花。", name="diary.txt")


# ---------------------------------------------------------------------------- what the unit does


def test_studying_a_law_is_not_carrying_out_its_subject(report):
    r = report("某镇2023年法治政府建设工作报告\n一、主要工作\n组织学习《中华人民共和国行政复议法》,提高干部依法行政能力。")
    assert ("administrative-reconsideration", "implemented") not in measures(r)


@pytest.mark.parametrize(
    "sentence,concept",
    [
        ("在区委、区政府和区法治政府建设工作领导小组指导下,推进各项工作。", "leading-group"),  # e006: the superiors' group
        ("荣获全省法治县创建活动先进单位,行政复议工作受到司法部通报表彰。", "administrative-reconsideration"),  # e010: an award
        ("积极迎接市法治督察组开展法治政府建设督察检查。", "rule-of-law-inspection"),  # being inspected
        ("专题研究基层法治建设、矛盾纠纷化解、普法宣传、行政执法等具体事项。", "legal-publicity"),  # e012: topics discussed
        ("本报告包括工作开展情况、党政主要负责人履行推进法治建设第一责任人职责情况、存在的不足四个部分。", "first-responsibility"),  # d022
        ("摒弃以罚代管的执法模式,推行说理式执法。", "key-area-enforcement"),  # a practice given up
    ],
)
def test_contexts_that_state_no_practice(report, sentence, concept):
    r = report("某镇2023年法治政府建设工作报告\n一、主要工作\n(一)加强领导\n成立领导小组开展工作,听取汇报。" + sentence)
    assert concept not in {m.concept for m in r.measures if sentence[:12] in m.evidence.sentence}


def test_the_opening_formula_states_nothing_but_the_body_does(report):
    r = report(
        "某县2022年法治政府建设工作报告\n2022年,我县坚持以习近平新时代中国特色社会主义思想为指导,深入学习贯彻习近平法治思想,"
        "持续优化法治化营商环境。\n一、主要工作\n(一)优化营商环境\n出台优化法治化营商环境若干措施20条,为企业解决难题。"
    )
    found = {m.concept: m.evidence.sentence for m in r.measures}
    assert "xi-thought-study" not in found and found["business-environment"].startswith("出台")


def test_a_bare_heading_at_the_end_of_an_excerpt_states_nothing(report):
    r = report(
        "某区2024年法治政府建设工作报告\n一、主要工作\n(一)加强领导\n成立法治建设领导小组。\n(二)主要负责人带头履行推进法治建设第一责任人职责。"
    )
    assert "first-responsibility" not in {m.concept for m in r.measures}


@pytest.mark.parametrize(
    "sentence,status",
    [
        ("我镇将法治宣传教育融入全年工作,形成常态化、长效化机制。", "implemented"),  # e060: 将 + object + 融入
        ("将习近平法治思想列入全区各级党组织和行政机关理论学习的重要内容。", "implemented"),  # e021
        ("全力争创全国法治政府建设示范区。", "implemented"),  # 全力争创 is not 力争
        ("下一步,我镇将进一步加强法治宣传教育。", "planned"),
    ],
)
def test_future_only_where_the_text_plans(report, sentence, status):
    r = report("某镇2023年法治政府建设工作报告\n一、主要工作\n(一)加强领导\n" + sentence)
    statuses = {m.status.value for m in r.measures if m.evidence.sentence == sentence}
    assert statuses == {status}


def test_local_practices_by_quotes_kinds_and_means(report):
    r = report(
        "某县2024年法治政府建设工作报告\n一、主要工作\n持续开展“邻州夜话·企业沙龙”“千名干部访千企”等专项活动,走访企业。"
        "组织开展了“利剑护企”行动。通过局党组理论学习中心组、生态环境大讲堂、周一夜学等形式开展学习。"
    )
    locals_ = {m.label for m in r.measures if m.concept is None}
    assert {"邻州夜话·企业沙龙", "千名干部访千企", "利剑护企行动", "生态环境大讲堂", "周一夜学"} <= locals_


# ---------------------------------------------------------------------------- instruments


def test_what_the_unit_does_with_an_instrument(report):
    r = report(
        "某县2023年法治政府建设工作报告\n一、主要工作\n组织学习《中华人民共和国宪法》《中华人民共和国民法典》。"
        "认真贯彻落实中共中央、国务院制定的《法治政府建设实施纲要(2021—2025年)》。印发《某县2023年法治政府建设工作要点》。"
        "根据《法治政府建设与责任落实督察工作规定》开展督察。"
    )
    relation = {m.label: m.relation for m in r.instruments}
    assert relation["中华人民共和国宪法"] == relation["中华人民共和国民法典"] == "studied"
    assert relation["法治政府建设实施纲要(2021—2025年)"] == "applied"
    assert relation["某县2023年法治政府建设工作要点"] == "issued"
    assert relation["法治政府建设与责任落实督察工作规定"] == "basis"


def test_newspapers_programmes_and_event_names_are_not_instruments(report):
    # e018, e040, e015
    r = report(
        "甘肃省2023年法治政府建设情况\n一、主要工作\n在《甘肃日报》学习专栏刊发学习体会文章,在甘肃卫视《法治伴你行》栏目播出案例。"
        "获评《中国新闻周刊》年度影响力榜单。在全国组织开展“宪法宣传周”主题宣传活动。学习宪法和民法典。"
    )
    labels = {m.label for m in r.instruments}
    assert not labels & {"甘肃日报", "法治伴你行", "中国新闻周刊"}
    assert {"中华人民共和国宪法", "中华人民共和国民法典"} <= labels
    assert all(m.as_written != "宪法" or "宣传周" not in m.evidence.sentence for m in r.instruments)


def test_a_bare_outline_is_the_version_of_the_report_year(report):
    r2018 = report("某县2018年法治政府建设工作报告\n一、主要工作\n深入贯彻落实法治政府建设实施纲要,推进依法行政。", name="a.txt")
    r2023 = report("某县2023年法治政府建设工作报告\n一、主要工作\n深入贯彻落实法治政府建设实施纲要,推进依法行政。", name="b.txt")
    assert [m.label for m in r2018.instruments] == ["法治政府建设实施纲要(2015—2020年)"]
    assert [m.label for m in r2023.instruments] == ["法治政府建设实施纲要(2021—2025年)"]
    province = report("某县2023年法治政府建设工作报告\n一、主要工作\n认真落实广东省法治政府建设实施纲要。", name="c.txt")
    assert province.instruments == []  # a province's own outline, not the national one


# ---------------------------------------------------------------------------- numbers


def test_each_count_of_a_list_has_its_own_label(report):
    r = report("某镇2023年法治政府建设工作报告\n一、主要工作\n全年召开3次常务会、2次专题会,聘请4名法律顾问、20名公职律师。")
    got = {(i.metric, i.value) for i in r.indicators}
    assert {("召开常务会", "3"), ("召开专题会", "2"), ("聘请法律顾问", "4")} <= got
    assert any(metric.endswith("公职律师") and value == "20" for metric, value in got)


def test_scaled_values_approximations_and_typed_metrics(report):
    r = report(
        "某县2023年法治政府建设工作报告\n一、主要工作\n走访服务企业、个体户等1.5万余人次,组织宣讲近1.1万场。"
        "受理行政复议案件35件,行政机关负责人出庭应诉率100%。开展专题学法12次。"
    )
    by_value = {i.value: i for i in r.indicators}
    assert (by_value["1.5"].unit, by_value["1.5"].number, by_value["1.5"].approximate) == ("万人次", 15000.0, True)
    assert by_value["1.1"].approximate and by_value["1.1"].number == 11000.0
    assert by_value["35"].kind == "reconsideration-cases" and by_value["35"].measure == "administrative-reconsideration"
    assert by_value["100"].kind == "court-appearance-rate"
    assert by_value["12"].measure == "leaders-study-law"


def test_changes_keep_their_subject_and_ranks_are_no_results(report):
    r = report(
        "某市2016年法治政府建设情况报告\n一、主要工作\n工商登记审批时限由原来的30个工作日压缩至3个工作日。"
        "政府透明度指数在全国49个较大城市中排名第四。成立法制岗,由3名法制员专门负责案卷审查。"
    )
    got = {(i.value, i.unit): i.metric for i in r.indicators}
    assert got[("30", "个工作日")] == got[("3", "个工作日")] == "工商登记审批时限"
    assert ("49", "个") not in got and got[("3", "名")] == "法制员"


# ---------------------------------------------------------------------------- where a report came from


def test_the_page_address_is_read_from_the_file(report):
    text = "2024年,我局深入学习贯彻党的二十大精神,推进交通运输行业依法行政,交通运输系统法治建设。现将我局法治政府建设工作报告如下:\n一、主要工作\n(一)加强学习。"
    for head in (
        "原文链接: http://www.jiexi.gov.cn/jyjxjtj/gkmlpt/content/0/914/post_914503.html\n",
        "http://www.jiexi.gov.cn/jyjxjtj/gkmlpt/content/0/914/post_914503.html\n",
    ):
        r = report(head + text)
        assert r.url.startswith("http://www.jiexi.gov.cn/")
        assert (r.unit.kind, r.unit.organ, r.unit.code) == ("department", "交通运输局", "445222")  # 揭西县交通运输局


def test_a_saved_page_keeps_its_canonical_address_or_its_saved_from_note():
    from kg.text.html import html_to_text

    _, meta = html_to_text(
        '<!-- saved from url=(0041)http://www.jiexi.gov.cn/a.html --><link rel="canonical" href="http://www.jiexi.gov.cn/b.html"><p>正文</p>'
    )
    assert meta["url"] == "http://www.jiexi.gov.cn/b.html"
    _, meta = html_to_text("<!-- saved from url=(0041)http://www.jiexi.gov.cn/a.html --><p>正文</p>")
    assert meta["url"] == "http://www.jiexi.gov.cn/a.html"


def test_build_with_a_sources_list(tmp_path):
    from click.testing import CliRunner

    from kg.cli import main

    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "e030.txt").write_text(
        "2025年,鼓楼街道办事处深入学习贯彻习近平法治思想。现将本年度工作情况报告如下:\n一、总体情况\n(一)健全机制。", encoding="utf-8"
    )
    sources = folder / "sources.jsonl"
    sources.write_text('{"file": "e030.txt", "url": "https://www.bjmy.gov.cn/zwgk/t20260213_531006.html"}\nnot json\n', encoding="utf-8")
    result = CliRunner().invoke(
        main, ["build", str(folder / "e030.txt"), "-o", str(tmp_path / "out"), "--sources", str(sources), "-j", "1"]
    )
    assert result.exit_code == 0, result.output
    assert "line 2: not a JSON object" in result.output  # warned, not fatal
    record = (tmp_path / "out" / "documents.jsonl").read_text(encoding="utf-8")
    assert '"code":"110118001"' in record and '"url":"https://www.bjmy.gov.cn/' in record


def test_a_heading_is_not_the_evidence_when_its_section_says_it_again(report):
    """（一）深入开展法治宣传 names what the sentences under it tell: the evidence is one of those sentences;
    a heading whose section never restates its measure stays the one statement of it."""
    r = report(
        "汉中市汉台区七里街道办事处2021年度法治政府建设工作报告\n"
        "2021年,七里街道在区委、区政府的领导下推进法治政府建设。现将有关情况报告如下:\n"
        "一、主要工作\n"
        "(一)深入开展法治宣传\n"
        "街道组织开展法治宣传进社区、进企业活动12场,发放宣传资料3000余份。\n"
        "(二)全面推行法律顾问制度\n"
        "全年审查合同15份,为重大决策提供意见6条。\n"
    )
    publicity = [m for m in r.measures if m.concept == "legal-publicity"]
    assert publicity and all(m.evidence.sentence.startswith("街道组织开展法治宣传") for m in publicity)
    advisers = [m for m in r.measures if m.concept == "legal-advisers"]
    assert [m.evidence.sentence for m in advisers] == ["(二)全面推行法律顾问制度"]
