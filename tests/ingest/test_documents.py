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

ZH = "江津区加快建设西部陆海新通道，2024年江津班列累计开行1804列。产业园累计签约114个项目。"


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
    document.add_heading("江津陆港建设", level=1)
    document.add_paragraph(ZH)
    document.add_heading("产业集群", level=2)
    document.add_paragraph("重庆枢纽港产业园聚集企业超1000家。")
    document.save(str(path))


HTML = """<html><head><title>青白江陆港</title>
<script>var tracking = "SCRIPTJUNK"; function f() { return "脚本里的字"; }</script>
<style>.x { color: red }</style></head>
<body><nav>首页 | 新闻</nav><article><h1>青白江国际铁路港</h1>
<p>成都国际铁路港是中欧班列的重要枢纽，青白江区加快建设国际门户枢纽城市，推动开放型经济发展。</p>
<script>document.write("INLINESCRIPT")</script>
<p>第二段：青白江区聚集了大量物流企业，形成了完整的产业链条和服务体系。</p></article></body></html>"""


@pytest.fixture
def mixed_corpus(tmp_path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "plain.txt").write_text(ZH, encoding="utf-8")
    (corpus / "notes.md").write_text("# 青白江\n\n青白江区是成都的陆港，中欧班列从这里出发。\n", encoding="utf-8")
    (corpus / "gbk.txt").write_bytes("江津区位于重庆西南部，长江穿城而过。珞璜港是重要港口。".encode("gb18030"))
    (corpus / "page.html").write_text(HTML, encoding="utf-8")
    (corpus / "report.pdf").write_bytes(make_pdf(["Jiangjin rail freight grew 48 percent in 2024.",
                                                  "The Qingbaijiang land port runs China-Europe trains."]))
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
    assert "珞璜港是重要港口" in by_path["gbk.txt"].source
    assert "Jiangjin rail freight grew 48 percent in 2024." in by_path["report.pdf"].source
    assert "China-Europe trains" in by_path["report.pdf"].clean
    docx_doc = by_path["brief.docx"]
    assert "累计开行1804列" in docx_doc.source and "聚集企业超1000家" in docx_doc.source
    assert docx_doc.title == "江津陆港建设"  # Word heading style became a heading
    assert [p.kind for p in docx_doc.paragraphs].count("heading") == 2
    assert by_path["notes.md"].title == "青白江"

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
    assert "成都国际铁路港是中欧班列的重要枢纽" in source
    assert "第二段：青白江区聚集了大量物流企业" in source
    for junk in ("SCRIPTJUNK", "脚本里的字", "INLINESCRIPT", "color: red", "function"):
        assert junk not in source


def test_read_source_raises_document_error_naming_the_file(mixed_corpus):
    for name in ("junk.txt", "table.xlsx", "empty.txt", "broken.pdf", "broken.docx", "binary.md"):
        with pytest.raises(DocumentError) as err:
            read_source(mixed_corpus / name)
        assert name in err.value.message


def test_decode_bytes():
    assert decode_bytes("\ufeff江津".encode("utf-8"), "x") == "江津"  # BOM dropped
    assert decode_bytes(ZH.encode("gb18030"), "x") == ZH
    assert decode_bytes("纯ASCII plus 中文".encode("utf-8"), "x") == "纯ASCII plus 中文"
    # short, punctuation-heavy Chinese (quotes, 、 ： （） —— ……) is still recognised as GB18030
    for text in ("“专精特新”、“小巨人”。", "江津：“一带一路”（陆港）——开放前沿……"):
        assert decode_bytes(text.encode("gb18030"), "x") == text
    for path in sorted(CORPUS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        assert decode_bytes(text.encode("gb18030"), path.name) == text
    for enc in ("utf-16", "big5"):  # other encodings are refused, not read as mojibake
        with pytest.raises(DocumentError):
            decode_bytes("江津區加快建設西部陸海新通道，產業園累計簽約項目。".encode(enc), "x")
    with pytest.raises(DocumentError, match="binary"):
        decode_bytes(b"abc\x00def", "blob.txt")
    rng = random.Random(1)
    with pytest.raises(DocumentError, match="blob.txt"):
        decode_bytes(bytes(rng.randrange(1, 256) for _ in range(2000)), "blob.txt")


def test_too_large_file_is_skipped(tmp_path, monkeypatch):
    import rag.ingest.loaders

    monkeypatch.setattr(rag.ingest.loaders, "MAX_FILE_BYTES", 100)
    (tmp_path / "big.txt").write_text("江津" * 100, encoding="utf-8")
    (tmp_path / "small.txt").write_text("江津班列。", encoding="utf-8")
    docs, skipped = load_corpus(tmp_path)
    assert [d.path for d in docs] == ["small.txt"]
    assert skipped[0].path == "big.txt" and "too large" in skipped[0].reason


def test_missing_corpus_folder_is_a_document_error(tmp_path):
    with pytest.raises(DocumentError, match="Corpus folder not found"):
        load_corpus(tmp_path / "nope")


def test_same_doc_id_from_two_files_keeps_one(tmp_path):
    (tmp_path / "a.txt").write_text("江津班列开行。", encoding="utf-8")
    (tmp_path / "a.md").write_text("青白江班列开行。", encoding="utf-8")
    docs, skipped = load_corpus(tmp_path)
    assert [d.path for d in docs] == ["a.md"]
    assert skipped[0].path == "a.txt" and "a.md" in skipped[0].reason


def test_subfolders_get_distinct_ids(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "a.txt").write_text("江津班列开行。", encoding="utf-8")
    (tmp_path / "a.txt").write_text("青白江班列开行。", encoding="utf-8")
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
    (tmp_path / "a.md").write_text("## 江津答卷\n\n2024年江津班列开行1804列。2024年很重要。2023年也提到。",
                                   encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        docs, skipped = load_corpus(tmp_path)
    assert "not valid TOML" in caplog.text
    assert docs[0].title == "江津答卷" and docs[0].district == "" and docs[0].date == "2024"  # places: rag.index.knowledge


# ---------------------------------------------------------------- cleaning (real corpus)


@pytest.fixture(scope="module")
def real_docs():
    docs, _ = load_corpus(CORPUS)
    return {d.doc_id[:3]: d for d in docs}


@pytest.mark.parametrize("broken, joined", [
    ("新能源及新型\n\n储能", "新能源及新型储能"),
    ("特色化发\n\n展", "特色化发展"),
    ("城市道路建\n\n设", "城市道路建设"),  # "加快轨道交通、城市道路建设" broken by extraction
    ("“红岩先锋\n\n物业”", "“红岩先锋物业”"),
])
def test_words_broken_by_extraction_are_rejoined(real_docs, broken, joined):
    doc = real_docs["002"]
    assert broken in doc.source  # the file really has the break
    assert joined in doc.clean
    start = doc.clean.index(joined)
    src_start, src_end = doc.source_span(start, start + len(joined))
    assert doc.source[src_start:src_end] == broken


def test_rejoining_other_long_broken_lines(real_docs):
    assert "加快发展现代化产业体系" in real_docs["003"].clean
    assert "成都国际铁路港进出口货物实现“运抵" in real_docs["004"].clean


def test_finished_paragraphs_are_not_merged(real_docs):
    clean = real_docs["003"].clean
    # a paragraph ending with 。 stays its own line; headings are never glued to text
    assert "\n重点项目好戏连台 加快打造先进制造业基地\n" in clean
    assert "总量居全市区县第二。\n" in clean


@pytest.mark.parametrize("caption", ["大唐江津燃机项目建成投产", "首票长安启源Q05从江津出口泰国"])
def test_repeated_caption_runs_collapse_to_one(real_docs, caption):
    doc = real_docs["001"]
    assert doc.source.count(caption) == 4
    assert doc.clean.count(caption) == 1
    kinds = [p.kind for p in doc.paragraphs if p.text(doc) == caption]
    assert kinds == ["caption"]


def test_image_captions_are_kept(real_docs):
    for key, caption in (("001", "威马农机泰国生产基地"), ("001", "小南垭站集装箱自动化作业区"),
                         ("000", "天马精密生产车间。(青白江区委宣传部 供图)")):
        doc = real_docs[key]
        paras = [p for p in doc.paragraphs if p.text(doc) == caption]
        assert paras and paras[0].kind == "caption"


def test_markdown_headings_are_recognised(real_docs):
    doc = real_docs["003"]
    headings = [p.text(doc) for p in doc.paragraphs if p.kind == "heading"]
    assert headings[0] == "江津 唯实争先融入成渝中部地区一体化高质量发展"  # '# ' stripped
    assert "重点项目好戏连台 加快打造先进制造业基地" in headings
    assert "提升城市功能品质 建设现代化宜居城市" in headings
    assert not any(h.startswith("#") for h in headings)
    h4 = [p.text(real_docs["004"]) for p in real_docs["004"].paragraphs if p.kind == "heading"]
    assert "助力成都建设国际门户枢纽" in h4  # '### ' heading


def _assert_offsets_exact(doc) -> None:
    assert len(doc.offsets) == len(doc.clean)
    for i, ch in enumerate(doc.clean):
        if ch == "\n":
            continue  # the line separator stands for the source line break
        assert doc.source[doc.offsets[i]] == ch, (doc.doc_id, i)
    assert all(a < b for a, b in zip(doc.offsets, doc.offsets[1:]))


def test_every_clean_character_maps_to_the_same_source_character(real_docs):
    for doc in real_docs.values():
        _assert_offsets_exact(doc)
        for para in doc.paragraphs:
            s, e = doc.source_span(para.start, para.end)
            assert re.sub(r"\s|\*\*", "", doc.source[s:e]) == re.sub(r"\s", "", para.text(doc))


def test_cleaning_never_changes_the_file(real_docs):
    for doc in real_docs.values():
        assert doc.source == (CORPUS / doc.path).read_text(encoding="utf-8")


def test_crlf_bold_and_bom_keep_offsets():
    source = "\ufeff# 标题\r\n\r\n**江津**班列开行1804列，同比增长48%，全市占比40%，这是第一段内容的前半部\r\n\r\n分。\r\n"
    doc = make_document(source, "x.md")
    assert doc.title == "标题"
    assert "江津班列开行1804列" in doc.clean and "前半部分。" in doc.clean
    assert "**" not in doc.clean and "\r" not in doc.clean and "\ufeff" not in doc.clean
    _assert_offsets_exact(doc)
    start = doc.clean.index("前半部分")
    s, e = doc.source_span(start, start + 4)
    assert doc.source[s:e] == "前半部\r\n\r\n分"


def test_repeated_line_inline_fixture_and_empty_span():
    source = "\n\n".join(["园区全景图"] * 3 + ["江津区加快建设西部陆海新通道。"])
    doc = make_document(source, "x.txt")
    assert doc.clean.count("园区全景图") == 1
    assert doc.source_span(3, 3) == (doc.offsets[3], doc.offsets[3])
    assert doc.source_span(len(doc.clean), len(doc.clean)) == (len(source), len(source))
