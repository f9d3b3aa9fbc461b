"""Question sets for ``rag eval``: loading, relevance against an index, validation, BEIR import.

A set is JSON Lines, one question per line::

    {"id", "question", "lang": "zh"|"en", "type", "evidence": [...], "answer": [...]}

Cross-article comparisons add ``"evidence_groups": [[...], [...]]`` (every group
must be found); unanswerable questions have empty evidence and answer; sets
imported from BEIR carry ``"relevant_docs": {doc_id: grade}`` instead.

Relevance is computed against the index being evaluated: a chunk is relevant
when its source span holds an occurrence of an evidence string (compared after
NFKC, lower-casing and whitespace removal), so a set stays valid when chunking
changes. An occurrence that straddles two chunks makes both relevant.
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from rag.errors import RagError

ANSWER_WINDOW = 120  # an answer string must lie this close (normalised chars) to its evidence
DEFAULT_SET = Path("eval") / "lugang.jsonl"


def default_set() -> Path:
    """eval/lugang.jsonl in the working directory, else the one next to the package."""
    if DEFAULT_SET.exists():
        return DEFAULT_SET
    return Path(__file__).resolve().parents[2] / DEFAULT_SET


# --------------------------------------------------------------------------- normalisation


def norm_map(text: str) -> tuple[str, list[int]]:
    """NFKC, lower case, whitespace dropped; plus each output char's offset in ``text``."""
    out: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        for c in unicodedata.normalize("NFKC", ch).lower():
            if not c.isspace():
                out.append(c)
                offsets.append(i)
    return "".join(out), offsets


def norm(text: str) -> str:
    return norm_map(text)[0]


def contains_key(text: str, keys: list[str]) -> bool:
    """Whether ``text`` (markdown bold markers ignored) holds any of ``keys``, normalised."""
    hay = norm(text.replace("**", ""))
    return any(norm(k) and norm(k) in hay for k in keys)


# --------------------------------------------------------------------------- sets


@dataclass
class Question:
    id: str
    question: str
    lang: str = "zh"
    type: str = "fact"
    evidence: list[str] = field(default_factory=list)
    answer: list[str] = field(default_factory=list)
    evidence_groups: list[list[str]] = field(default_factory=list)
    relevant_docs: dict[str, int] = field(default_factory=dict)  # BEIR: document-level grades
    docs: list[str] = field(default_factory=list)  # articles the evidence is in, when the set says
    set: str = ""
    twin: str = ""  # the id of the same question in the other language, when the set pairs them

    @property
    def groups(self) -> list[list[str]]:
        """Evidence groups that must all be found (one group for a simple question)."""
        if self.evidence_groups:
            return self.evidence_groups
        return [self.evidence] if self.evidence else []

    @property
    def doc_ids(self) -> list[str]:
        """The articles the set names, as index document ids (a file name without its extension)."""
        return [d.rsplit(".", 1)[0] if d.endswith((".txt", ".md", ".html", ".htm", ".pdf", ".docx")) else d
                for d in self.docs]

    @property
    def answerable(self) -> bool:
        return bool(self.groups or self.relevant_docs)

    def to_json(self) -> dict:
        row = {"id": self.id, "question": self.question, "lang": self.lang, "type": self.type}
        if self.docs:
            row["docs" if len(self.docs) > 1 else "doc"] = self.docs if len(self.docs) > 1 else self.docs[0]
        row["evidence"] = self.evidence
        if self.evidence_groups:
            row["evidence_groups"] = self.evidence_groups
        if self.relevant_docs:
            row["relevant_docs"] = self.relevant_docs
        row["answer"] = self.answer
        if self.twin:
            row["twin"] = self.twin
        return row


def _question(row: dict, where: str, set_name: str) -> Question:
    from rag.text.tokenize import is_chinese

    if not isinstance(row, dict) or not str(row.get("id", "")).strip() or not str(row.get("question", "")).strip():
        raise RagError(f"{where}: a question needs a non-empty 'id' and 'question'.")
    lists = {}
    for key in ("evidence", "answer"):
        value = row.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise RagError(f"{where}: '{key}' must be a list of strings.")
        lists[key] = value
    groups = row.get("evidence_groups") or []
    if not isinstance(groups, list) or not all(isinstance(g, list) and g and all(isinstance(s, str) for s in g)
                                               for g in groups):
        raise RagError(f"{where}: 'evidence_groups' must be a list of non-empty lists of strings.")
    docs = row.get("docs") or ([row["doc"]] if row.get("doc") else [])
    question = str(row["question"])
    return Question(id=str(row["id"]), question=question,
                    lang=str(row.get("lang") or ("zh" if is_chinese(question) else "en")),
                    type=str(row.get("type") or ("unanswerable" if not (lists["evidence"] or groups) else "fact")),
                    evidence=lists["evidence"], answer=lists["answer"], evidence_groups=groups,
                    relevant_docs={str(k): int(v) for k, v in (row.get("relevant_docs") or {}).items()},
                    docs=[str(d) for d in docs], set=set_name, twin=str(row.get("twin") or ""))


def load_set(path: str | Path) -> list[Question]:
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError as exc:
        raise RagError(f"Question set not found: {path}", "Give a JSON Lines file, e.g. eval/lugang.jsonl") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise RagError(f"Cannot read the question set {path}: {exc}") from exc
    out = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RagError(f"{path}:{n}: not valid JSON ({exc.msg}).") from exc
        out.append(_question(row, f"{path}:{n}", path.stem))
    if not out:
        raise RagError(f"The question set {path} is empty.")
    return out


def load_sets(paths: list[str | Path]) -> list[Question]:
    """Several sets as one list; ids that clash across sets get the set name as a prefix."""
    questions: list[Question] = []
    seen: set[str] = set()
    for path in paths:
        for q in load_set(path):
            if q.id in seen:
                q.id = f"{q.set}:{q.id}"
            seen.add(q.id)
            questions.append(q)
    return questions


def save_set(questions: list[Question], path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for q in questions:
            fh.write(json.dumps(q.to_json(), ensure_ascii=False) + "\n")


# --------------------------------------------------------------------------- relevance


def _occurrences(hay: str, needle: str) -> list[int]:
    out, pos = [], hay.find(needle)
    while needle and pos >= 0:
        out.append(pos)
        pos = hay.find(needle, pos + 1)
    return out


class Locator:
    """Finds normalised strings in documents and maps them to source spans and chunks."""

    def __init__(self, sources: dict[str, str], chunks: list | None = None):
        self.texts = {doc_id: norm_map(text) for doc_id, text in sources.items()}
        self.chunks: dict[str, list] = {}
        for chunk in chunks or []:
            self.chunks.setdefault(chunk.doc_id, []).append(chunk)

    def find(self, s: str) -> list[tuple[str, int, int, int, int]]:
        """(doc_id, norm_start, norm_end, source_start, source_end) of every occurrence."""
        needle = norm(s)
        out = []
        for doc_id, (text, offsets) in self.texts.items():
            for pos in _occurrences(text, needle):
                end = pos + len(needle)
                out.append((doc_id, pos, end, offsets[pos], offsets[end - 1] + 1))
        return out

    def chunk_ids(self, doc_id: str, start: int, end: int) -> tuple[list[str], bool]:
        """Chunks holding the source span [start, end); else those overlapping it (second value False)."""
        chunks = self.chunks.get(doc_id, [])
        inside = [c.chunk_id for c in chunks if c.start <= start and end <= c.end]
        if inside:
            return inside, True
        return [c.chunk_id for c in chunks if c.start < end and start < c.end], False


@dataclass
class Relevance:
    grades: dict[str, int]  # unit id -> grade (chunk ids, or doc ids for document-level sets)
    groups: list[set[str]]  # relevant unit ids per evidence group
    level: str = "chunk"  # "chunk" | "doc"
    missing: list[str] = field(default_factory=list)  # evidence not found in the index


def relevance(index, questions: list[Question]) -> dict[str, Relevance]:
    """Relevant chunks (or documents) of every answerable question, against ``index``."""
    locator = Locator({d: meta["source"] for d, meta in index.docs.items()}, index.chunks)
    out: dict[str, Relevance] = {}
    for q in questions:
        if q.relevant_docs:
            docs = {d: g for d, g in q.relevant_docs.items() if g > 0}
            out[q.id] = Relevance(docs, [set(docs)], "doc")
            continue
        rel = Relevance({}, [])
        for group in q.groups:
            found: set[str] = set()
            for s in group:
                occ = locator.find(s)
                if not occ:
                    rel.missing.append(s)
                for doc_id, _, _, start, end in occ:
                    found.update(locator.chunk_ids(doc_id, start, end)[0])
            rel.groups.append(found)
            rel.grades.update({cid: 1 for cid in found})
        out[q.id] = rel
    return out


# --------------------------------------------------------------------------- validation


@dataclass
class CheckReport:
    questions: int
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def check_set(questions: list[Question], sources: dict[str, str], chunks: list | None = None,
              window: int = ANSWER_WINDOW) -> CheckReport:
    """Evidence must be in the corpus (and in the article named by ``doc``/``docs``), answers near it.

    Evidence found in more than one article, or (given the index's ``chunks``)
    straddling a chunk boundary, is reported as a warning.
    """
    from rag.text.tokenize import is_chinese

    locator = Locator(sources, chunks)
    report = CheckReport(len(questions))
    err, warn = report.errors.append, report.warnings.append
    seen: set[str] = set()
    for q in questions:
        if q.id in seen:
            err(f"{q.id}: duplicate id")
        seen.add(q.id)
        if q.lang not in ("zh", "en"):
            err(f"{q.id}: lang must be 'zh' or 'en', not '{q.lang}'")
        elif q.lang != ("zh" if is_chinese(q.question) else "en"):
            warn(f"{q.id}: lang is '{q.lang}' but the question looks {'Chinese' if q.lang == 'en' else 'English'}")
        if not q.answerable and q.answer:
            err(f"{q.id}: an unanswerable question (no evidence) must have no answer strings")
        for doc_id in q.relevant_docs:
            if doc_id not in sources:
                err(f"{q.id}: relevant document '{doc_id}' is not in the corpus")
        spots = []
        for s in (s for g in q.groups for s in g):
            occ = locator.find(s)
            if not occ:
                err(f"{q.id}: evidence not in the corpus: {s}")
                continue
            docs = sorted({o[0] for o in occ})
            if q.docs and not set(docs) & set(q.doc_ids):
                err(f"{q.id}: evidence is in {', '.join(docs)}, not in {', '.join(q.doc_ids)}: {s}")
            if len(docs) > 1:
                warn(f"{q.id}: evidence occurs in {len(docs)} articles ({', '.join(docs)}): {s}")
            indexed = [o for o in occ if o[0] in locator.chunks]
            if indexed and not any(locator.chunk_ids(o[0], o[3], o[4])[1] for o in indexed):
                warn(f"{q.id}: evidence straddles a chunk boundary in this index: {s}")
            spots.extend(occ)
        for a in q.answer if spots else []:
            needle = norm(a)
            near = any(needle in locator.texts[d][0][max(0, s - window):e + window] for d, s, e, _, _ in spots)
            if not near:
                err(f"{q.id}: answer '{a}' is not within {window} characters of its evidence")
    return report


# --------------------------------------------------------------------------- BEIR import


def _read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        raise RagError(f"BEIR folder lacks {path.name}: {path}",
                       "A BEIR set has corpus.jsonl, queries.jsonl and qrels/<split>.tsv.")
    try:
        with open(path, encoding="utf-8-sig") as fh:
            return [json.loads(line) for line in fh if line.strip()]
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RagError(f"{path} is not valid JSON Lines ({exc}).") from exc


def import_beir(beir_dir: str | Path, corpus_dir: str | Path, split: str = "test") -> list[Question]:
    """Write a BEIR set's documents as .txt files into ``corpus_dir``; return its queries as a set.

    Relevance is document-level: ``relevant_docs`` maps our doc ids to the qrels grades.
    """
    from rag.ingest.documents import doc_id_for

    beir_dir, corpus_dir = Path(beir_dir), Path(corpus_dir)
    qrels_path = beir_dir / "qrels" / f"{split}.tsv"
    if not qrels_path.exists():
        raise RagError(f"BEIR folder lacks qrels/{split}.tsv: {beir_dir}",
                       "Pick another split with --split, e.g. --split dev.")
    corpus_dir.mkdir(parents=True, exist_ok=True)
    ids: dict[str, str] = {}
    for row in _read_jsonl(beir_dir / "corpus.jsonl"):
        beir_id = str(row.get("_id", ""))
        text = "\n\n".join(p for p in (str(row.get("title") or "").strip(), str(row.get("text") or "").strip()) if p)
        if not beir_id or not text:
            continue
        name = re.sub(r"[^\w\-.]+", "_", beir_id).strip(".") or "doc"
        while doc_id_for(f"{name}.txt") in ids.values():
            name += "_"
        path = corpus_dir / f"{name}.txt"
        if not path.exists() or path.read_text(encoding="utf-8") != text + "\n":
            path.write_text(text + "\n", encoding="utf-8")  # unchanged files keep the index incremental
        ids[beir_id] = doc_id_for(f"{name}.txt")
    queries = {str(r.get("_id")): str(r.get("text") or "") for r in _read_jsonl(beir_dir / "queries.jsonl")}
    qrels: dict[str, dict[str, int]] = {}
    for n, line in enumerate(qrels_path.read_text(encoding="utf-8-sig").splitlines()):
        parts = line.split("\t")
        if len(parts) < 3 or not parts[2].strip().lstrip("-").isdigit():
            if n == 0 or not line.strip():
                continue  # header line
            raise RagError(f"{qrels_path}:{n + 1}: expected query-id<TAB>corpus-id<TAB>score.")
        qid, cid, score = parts[0].strip(), parts[1].strip(), int(parts[2])
        if score > 0 and cid in ids:
            qrels.setdefault(qid, {})[ids[cid]] = score
    out = [_question({"id": qid, "question": queries[qid], "type": "beir", "relevant_docs": rels},
                     f"{beir_dir} query {qid}", beir_dir.name)
           for qid, rels in qrels.items() if queries.get(qid, "").strip()]
    if not out:
        raise RagError(f"No BEIR query in {beir_dir} has a relevant document in the corpus.")
    return out
