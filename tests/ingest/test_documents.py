"""Loading and cleaning: every file type, bad files skipped by name, offsets back into the source."""
from __future__ import annotations

import logging
import random
import re
from pathlib import Path

import pytest

from rag.errors import DocumentError
from rag.ingest.documents import doc_id_for, load_corpus, load_metadata, make_document
from rag.ingest.loaders import decode_bytes, read_source

CORPUS = Path(__file__).resolve().parents[2] / "corpus"

ZH = "凭祥市加快建设中越跨境物流通道，2024年凭祥班列累计开行1620列。综合保税区累计签约86个项目。"


# ---------------------------------------------------------------- tiny real files


def make_pdf(lines: list[str]) -> bytes:
    """A minimal valid one-page PDF with a Helvetica text object (ASCII only), xref offsets exact."""
    content = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({line}) Tj T*" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("ascii")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode("ascii")
    out += b"".join(f"{off:010d} 00000 n \n".encode("ascii") for off in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode("ascii")
    return out


def make_docx(path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_heading("凭祥口岸建设", level=1)
    document.add_paragraph(ZH)
    document.add_heading("产业集群", level=2)
    document.add_paragraph("凭祥综合保税区聚集企业超400家。")
    document.save(str(path))


HTML = """<html><head><title>二连浩特陆港</title>
<script>var tracking = "SCRIPTJUNK"; function f() { return "脚本里的字"; }</script>
<style>.x { color: red }</style></head>
<body><nav>首页 | 新闻</nav><article><h1>二连浩特国际陆路口岸</h1>
<p>二连浩特口岸是中欧班列的重要枢纽，二连浩特市加快建设向北开放桥头堡，推动开放型经济发展。</p>
<script>document.write("INLINESCRIPT")</script>
<p>第二段：二连浩特市聚集了大量物流企业，形成了完整的产业链条和服务体系。</p></article></body></html>"""


@pytest.fixture
def mixed_corpus(tmp_path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "plain.txt").write_text(ZH, encoding="utf-8")
    (corpus / "notes.md").write_text("# 二连浩特\n\n二连浩特市是中蒙边境的陆路口岸，中欧班列从这里出境。\n", encoding="utf-8")
    (corpus / "gbk.txt").write_bytes("凭祥市位于广西西南部，与越南接壤。友谊关是重要口岸。".encode("gb18030"))
    (corpus / "page.html").write_text(HTML, encoding="utf-8")
    (corpus / "report.pdf").write_bytes(make_pdf(["Pingxiang rail freight grew 37 percent in 2024.",
                                                  "The Erenhot land port runs China-Europe trains."]))
    make_docx(corpus / "brief.docx")
    rng = random.Random(7)
    (corpus / "junk.txt").write_bytes(bytes(rng.randrange(1, 256) for _ in range(3000)))  # no NUL bytes
    (corpus / "binary.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (corpus / "latin1.txt").write_bytes("Café naïve résumé déjà vu. ".encode("latin-1") * 20)
    (corpus / "table.xlsx").write_bytes(b"PK\x03\x04 not really")
    (corpus / "README").write_text("no suffix", encoding="utf-8")
    (corpus / "empty.txt").write_text(" \n\n ", encoding="utf-8")
    (corpus / "stars.md").write_text("****\n\n **  \n", encoding="utf-8")  # markup only, no text
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 truncated")
    (corpus / "broken.docx").write_bytes(b"PK not a zip")
    (corpus / ".hidden.txt").write_text("隐藏文件不应被读取。", encoding="utf-8")
    return corpus


# ---------------------------------------------------------------- loaders


def test_every_supported_type_loads_and_bad_files_are_skipped_by_name(mixed_corpus):
    docs, skipped = load_corpus(mixed_corpus)
    by_path = {d.path: d for d in docs}
    assert sorted(by_path) == ["brief.docx", "gbk.txt", "notes.md", "page.html", "plain.txt", "report.pdf"]
    assert by_path["plain.txt"].source == ZH
    assert "友谊关是重要口岸" in by_path["gbk.txt"].source
    assert "Pingxiang rail freight grew 37 percent in 2024." in by_path["report.pdf"].source
    assert "China-Europe trains" in by_path["report.pdf"].clean
    docx_doc = by_path["brief.docx"]
    assert "累计开行1620列" in docx_doc.source and "聚集企业超400家" in docx_doc.source
    assert docx_doc.title == "凭祥口岸建设"  # Word heading style became a heading
    assert [p.kind for p in docx_doc.paragraphs].count("heading") == 2
    assert by_path["notes.md"].title == "二连浩特"

    reasons = {s.path: s.reason for s in skipped}
    assert set(reasons) == {"junk.txt", "binary.md", "latin1.txt", "table.xlsx", "README", "empty.txt",
                            "stars.md", "broken.pdf", "broken.docx"}
    assert "no text" in reasons["empty.txt"] and "no text" in reasons["stars.md"]
    assert "unsupported" in reasons["table.xlsx"] and ".xlsx" in reasons["table.xlsx"]
    assert "unsupported" in reasons["README"]
    assert "decode" in reasons["junk.txt"] and "decode" in reasons["latin1.txt"]
    assert "binary" in reasons["binary.md"]
    assert "PDF" in reasons["broken.pdf"] and "Word" in reasons["broken.docx"]
    assert ".hidden.txt" not in reasons and ".hidden.txt" not in by_path


def test_html_script_and_style_are_not_text(mixed_corpus):
    source = read_source(mixed_corpus / "page.html")
    assert "二连浩特口岸是中欧班列的重要枢纽" in source
    assert "第二段：二连浩特市聚集了大量物流企业" in source
    for junk in ("SCRIPTJUNK", "脚本里的字", "INLINESCRIPT", "color: red", "function"):
        assert junk not in source


def test_read_source_raises_document_error_naming_the_file(mixed_corpus):
    for name in ("junk.txt", "table.xlsx", "empty.txt", "broken.pdf", "broken.docx", "binary.md"):
        with pytest.raises(DocumentError) as err:
            read_source(mixed_corpus / name)
        assert name in err.value.message


def test_decode_bytes():
    assert decode_bytes("\ufeff凭祥".encode("utf-8"), "x") == "凭祥"  # BOM dropped
    assert decode_bytes(ZH.encode("gb18030"), "x") == ZH
    assert decode_bytes("纯ASCII plus 中文".encode("utf-8"), "x") == "纯ASCII plus 中文"
    # short, punctuation-heavy Chinese (quotes, 、 ： （） —— ……) is still recognised as GB18030
    for text in ("“专精特新”、“小巨人”。", "凭祥：“一带一路”（陆港）——开放前沿……"):
        assert decode_bytes(text.encode("gb18030"), "x") == text
    for path in sorted(CORPUS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        assert decode_bytes(text.encode("gb18030"), path.name) == text
    for enc in ("utf-16", "big5"):  # other encodings are refused, not read as mojibake
        with pytest.raises(DocumentError):
            decode_bytes("憑祥市加快建設西部陸海新通道，產業園累計簽約項目。".encode(enc), "x")
    with pytest.raises(DocumentError, match="binary"):
        decode_bytes(b"abc\x00def", "blob.txt")
    rng = random.Random(1)
    with pytest.raises(DocumentError, match="blob.txt"):
        decode_bytes(bytes(rng.randrange(1, 256) for _ in range(2000)), "blob.txt")


def test_too_large_file_is_skipped(tmp_path, monkeypatch):
    import rag.ingest.loaders

    monkeypatch.setattr(rag.ingest.loaders, "MAX_FILE_BYTES", 100)
    (tmp_path / "big.txt").write_text("凭祥" * 100, encoding="utf-8")
    (tmp_path / "small.txt").write_text("凭祥班列。", encoding="utf-8")
    docs, skipped = load_corpus(tmp_path)
    assert [d.path for d in docs] == ["small.txt"]
    assert skipped[0].path == "big.txt" and "too large" in skipped[0].reason


def test_missing_corpus_folder_is_a_document_error(tmp_path):
    with pytest.raises(DocumentError, match="Corpus folder not found"):
        load_corpus(tmp_path / "nope")


def test_same_doc_id_from_two_files_keeps_one(tmp_path):
    (tmp_path / "a.txt").write_text("凭祥班列开行。", encoding="utf-8")
    (tmp_path / "a.md").write_text("二连浩特班列开行。", encoding="utf-8")
    docs, skipped = load_corpus(tmp_path)
    assert [d.path for d in docs] == ["a.md"]
    assert skipped[0].path == "a.txt" and "a.md" in skipped[0].reason


def test_subfolders_get_distinct_ids(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "a.txt").write_text("凭祥班列开行。", encoding="utf-8")
    (tmp_path / "a.txt").write_text("二连浩特班列开行。", encoding="utf-8")
    docs, skipped = load_corpus(tmp_path)
    assert not skipped
    assert sorted(d.doc_id for d in docs) == ["a", "x__a"]
    assert doc_id_for("x/a b.txt") == "x__a_b"


# ---------------------------------------------------------------- metadata


def test_metadata_from_articles_toml():
    docs, skipped = load_corpus(CORPUS)
    assert not skipped and len(docs) == 5  # articles.toml itself is not a document
    meta = load_metadata(CORPUS)
    for doc in docs:
        assert doc.title == meta[doc.path]["title"]
        assert doc.district == meta[doc.path].get("district", "") and doc.date == meta[doc.path]["date"]
    assert {d.doc_id for d in docs} == {p.stem for p in CORPUS.glob("*.txt")}


def test_bad_toml_is_ignored_and_titles_are_guessed(tmp_path, caplog):
    (tmp_path / "articles.toml").write_text("this is = = not toml", encoding="utf-8")
    (tmp_path / "a.md").write_text("## 凭祥答卷\n\n2024年凭祥班列开行1620列。2024年很重要。2023年也提到。",
                                   encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        docs, skipped = load_corpus(tmp_path)
    assert "not valid TOML" in caplog.text
    assert docs[0].title == "凭祥答卷" and docs[0].district == "" and docs[0].date == "2024"  # places: rag.index.knowledge


# ---------------------------------------------------------------- cleaning (inline page)

# An extracted news page with what extraction does to real articles: words broken across a blank line,
# caption lines repeated four times, photo credits, markdown headings of three levels.
PAGE = "\n\n".join([
    "# 凭祥 口岸经济融入沿边开放新格局",
    *["凭祥综合保税区夜景"] * 4,
    "友谊关口岸货车通关现场",
    "红木家具展销中心。(凭祥市委宣传部 供图)",
    "## 跨境项目接连落地 产业基地加快成形",
    "6月,凭祥市举行一批跨境产业项目集中签约仪式。截至目前,凭祥市市级“专精特新”企业达到58家,数量居全区县市第三。",
    "凭祥市加快构建现代产业集群,发展壮大红木家具及木",
    "制品、跨境电商等主导产业,推动各园区错位发",
    "展,加快口岸道路建",
    "设,培育打造“边关先锋",
    "驿站”。",
    "### 助力打造沿边开放新高地",
    "凭祥市坚持把口岸作为对外开放的第一窗口,立足中越边境的区位优势,加快发展现",
    "代化口岸经济体系。如今,凭祥口岸进出口货物实",
    "现“一次申报、分段实施”,通关时间压缩一半。",
    "## 完善边境城市功能 打造宜居宜业家园",
    "漫步凭祥街头,边境小城处处绿意盎然。",
    *["首批红木家具从凭祥出口越南"] * 4,
]) + "\n"


@pytest.fixture(scope="module")
def page():
    return make_document(PAGE, "kouan.md")


@pytest.fixture(scope="module")
def real_docs():
    docs, _ = load_corpus(CORPUS)
    return {d.doc_id[:3]: d for d in docs}


@pytest.mark.parametrize("broken, joined", [
    ("红木家具及木\n\n制品", "红木家具及木制品"),
    ("错位发\n\n展", "错位发展"),
    ("口岸道路建\n\n设", "口岸道路建设"),  # "加快口岸道路建设" broken by extraction
    ("“边关先锋\n\n驿站”", "“边关先锋驿站”"),
])
def test_words_broken_by_extraction_are_rejoined(page, broken, joined):
    doc = page
    assert broken in doc.source  # the file really has the break
    assert joined in doc.clean
    start = doc.clean.index(joined)
    src_start, src_end = doc.source_span(start, start + len(joined))
    assert doc.source[src_start:src_end] == broken


def test_rejoining_other_long_broken_lines(page):
    assert "加快发展现代化口岸经济体系" in page.clean
    assert "凭祥口岸进出口货物实现“一次申报" in page.clean


def test_finished_paragraphs_are_not_merged(page):
    clean = page.clean
    # a paragraph ending with 。 stays its own line; headings are never glued to text
    assert "\n跨境项目接连落地 产业基地加快成形\n" in clean
    assert "数量居全区县市第三。\n" in clean


@pytest.mark.parametrize("caption", ["凭祥综合保税区夜景", "首批红木家具从凭祥出口越南"])
def test_repeated_caption_runs_collapse_to_one(page, caption):
    doc = page
    assert doc.source.count(caption) == 4
    assert doc.clean.count(caption) == 1
    kinds = [p.kind for p in doc.paragraphs if p.text(doc) == caption]
    assert kinds == ["caption"]


def test_image_captions_are_kept(page):
    for caption in ("友谊关口岸货车通关现场", "凭祥综合保税区夜景", "红木家具展销中心。(凭祥市委宣传部 供图)"):
        doc = page
        paras = [p for p in doc.paragraphs if p.text(doc) == caption]
        assert paras and paras[0].kind == "caption"


def test_markdown_headings_are_recognised(page):
    doc = page
    headings = [p.text(doc) for p in doc.paragraphs if p.kind == "heading"]
    assert headings[0] == "凭祥 口岸经济融入沿边开放新格局"  # '# ' stripped
    assert "跨境项目接连落地 产业基地加快成形" in headings
    assert "完善边境城市功能 打造宜居宜业家园" in headings
    assert not any(h.startswith("#") for h in headings)
    assert "助力打造沿边开放新高地" in headings  # '### ' heading


def _assert_offsets_exact(doc) -> None:
    assert len(doc.offsets) == len(doc.clean)
    for i, ch in enumerate(doc.clean):
        if ch == "\n":
            continue  # the line separator stands for the source line break
        assert doc.source[doc.offsets[i]] == ch, (doc.doc_id, i)
    assert all(a < b for a, b in zip(doc.offsets, doc.offsets[1:]))


def test_every_clean_character_maps_to_the_same_source_character(real_docs, page):
    for doc in [*real_docs.values(), page]:
        _assert_offsets_exact(doc)
        for para in doc.paragraphs:
            s, e = doc.source_span(para.start, para.end)
            assert re.sub(r"\s|\*\*", "", doc.source[s:e]) == re.sub(r"\s", "", para.text(doc))


def test_cleaning_never_changes_the_file(real_docs):
    for doc in real_docs.values():
        assert doc.source == (CORPUS / doc.path).read_text(encoding="utf-8")


def test_crlf_bold_and_bom_keep_offsets():
    source = "\ufeff# 标题\r\n\r\n**凭祥**班列开行1620列，同比增长37%，全市占比35%，这是第一段内容的前半部\r\n\r\n分。\r\n"
    doc = make_document(source, "x.md")
    assert doc.title == "标题"
    assert "凭祥班列开行1620列" in doc.clean and "前半部分。" in doc.clean
    assert "**" not in doc.clean and "\r" not in doc.clean and "\ufeff" not in doc.clean
    _assert_offsets_exact(doc)
    start = doc.clean.index("前半部分")
    s, e = doc.source_span(start, start + 4)
    assert doc.source[s:e] == "前半部\r\n\r\n分"


def test_repeated_line_inline_fixture_and_empty_span():
    source = "\n\n".join(["园区全景图"] * 3 + ["凭祥市加快建设中越跨境物流通道。"])
    doc = make_document(source, "x.txt")
    assert doc.clean.count("园区全景图") == 1
    assert doc.source_span(3, 3) == (doc.offsets[3], doc.offsets[3])
    assert doc.source_span(len(doc.clean), len(doc.clean)) == (len(source), len(source))
