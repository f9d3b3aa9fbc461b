"""Exceptions raised by the library.

Every error carries a short message for people and, where one exists, a hint
saying how to fix it. The CLI and the web app print ``str(err)``; neither shows
a traceback for these.
"""
from __future__ import annotations


class RagError(Exception):
    """Base class: something the user can understand and usually fix."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n{self.hint}" if self.hint else self.message


class InvalidQueryError(RagError):
    """The question or query is empty or unusable."""

    exit_code = 2


class IndexNotFoundError(RagError):
    """No index has been built at the given location."""


class IndexCorruptError(RagError):
    """The index directory exists but cannot be read consistently."""


class IndexMismatchError(RagError):
    """The index was built with other settings (model, format) than requested."""


class IndexLockedError(RagError):
    """Another process is writing the index."""


class VectorStoreError(RagError):
    """The vector store (a Milvus server or milvus-lite file) cannot be reached or refused an operation."""


class DocumentError(RagError):
    """A document cannot be read (unknown type, undecodable, broken file)."""


class MissingDependencyError(RagError):
    """An optional package needed for this feature is not installed."""

    def __init__(self, package: str, extra: str | None = None, purpose: str = ""):
        hint = f"Install it with: pip install '.[{extra}]'" if extra else f"Install it with: pip install {package}"
        what = f" (needed for {purpose})" if purpose else ""
        super().__init__(f"The package '{package}' is not installed{what}.", hint)
        self.package = package


class EmbeddingError(RagError):
    """The embedding model cannot be loaded or used."""


class LLMError(RagError):
    """The configured LLM endpoint failed or answered something unusable."""


class FeedbackError(RagError):
    """The chat's feedback log cannot be read or written."""


def require(module: str, package: str | None = None, extra: str | None = None, purpose: str = ""):
    """Import a heavy optional module lazily, failing with an install hint."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - exercised by tests with a fake name
        raise MissingDependencyError(package or module, extra, purpose) from exc
