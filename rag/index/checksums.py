"""File checksums of an index generation: recorded in the manifest at build time, verified at load.

Every file of a generation directory gets its size and a BLAKE2b digest (128-bit) in the manifest
(``digests``). Loading checks each file's size, then its digest, so an emptied, truncated or
byte-flipped file is reported as damage instead of being served. Hashing reads every byte once
(about 1 GB/s on one core); to keep reopening a large index cheap, the digests verified are
remembered in ``<generation>/verified.json`` together with each file's stat signature (size,
modification and status-change times, inode). A file whose signature is unchanged since it was
verified is not read again; any write to a file changes its status-change time, which no ordinary
tool can set back, so a later edit is always hashed. The cache is only an optimisation: when it is
missing, unreadable or read-only, every file is hashed.
"""
from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

ALGORITHM = "blake2b-128"
VERIFIED = "verified.json"
_BLOCK = 1 << 20


def digest(path: Path) -> str:
    """The BLAKE2b-128 hex digest of a file's bytes."""
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        while block := fh.read(_BLOCK):
            h.update(block)
    return h.hexdigest()


def _files(gen: Path) -> Iterator[tuple[str, Path]]:
    for path in sorted(gen.rglob("*")):
        rel = path.relative_to(gen).as_posix()
        if path.is_file() and rel != VERIFIED:
            yield rel, path


def _signature(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def record(gen: Path, previous: Path | None = None) -> dict:
    """``{"algorithm", "files": {relative path: {"size", "digest"}}}`` for every file of ``gen``; also
    writes the verified cache, since the files were just hashed. A file hard-linked from the
    ``previous`` generation (a large IVF base is carried forward so) keeps the digest verified there
    when its inode, size and modification time are unchanged, instead of being read again."""
    carried = {(e["signature"][3], e["signature"][0], e["signature"][1]): e["digest"]
               for e in (_read_cache(previous) if previous else {}).values()
               if isinstance(e, dict) and len(e.get("signature") or ()) == 4}
    files, verified = {}, {}
    for rel, path in _files(gen):
        st = path.stat()
        d = carried.get((st.st_ino, st.st_size, st.st_mtime_ns)) or digest(path)
        files[rel] = {"size": st.st_size, "digest": d}
        verified[rel] = {"signature": _signature(st), "digest": d}
    _write_cache(gen, verified)
    return {"algorithm": ALGORITHM, "files": files}


def refresh(gen: Path) -> None:
    """Re-stat the verified cache of a generation just recorded: removing the previous generation
    changes the status-change time of the files the two shared by hard links (their link count
    drops), which would otherwise make the next load hash them again. Only entries whose inode,
    size and modification time are still those recorded are renewed."""
    cache = _read_cache(gen)
    fresh = {}
    for rel, entry in cache.items():
        try:
            st = (gen / rel).stat()
        except OSError:
            continue
        sig = entry.get("signature") if isinstance(entry, dict) else None
        if sig and len(sig) == 4 and (sig[3], sig[0], sig[1]) == (st.st_ino, st.st_size, st.st_mtime_ns):
            fresh[rel] = {"signature": _signature(st), "digest": entry["digest"]}
    if fresh != cache:
        _write_cache(gen, fresh)


def verify(gen: Path, recorded: dict) -> str | None:
    """None when every recorded file of ``gen`` has its recorded size and digest, else what is wrong
    (the first damaged file, by name)."""
    if recorded.get("algorithm") != ALGORITHM:
        return f"unknown checksum algorithm {recorded.get('algorithm')!r}"
    cache = _read_cache(gen)
    fresh: dict[str, dict] = {}
    problem = None
    for rel, want in sorted(recorded.get("files", {}).items()):
        path = gen / rel
        try:
            st = path.stat()
        except FileNotFoundError:
            problem = f"{rel} is missing"
            break
        if st.st_size != want["size"]:
            problem = f"{rel} has {st.st_size} bytes, the manifest records {want['size']}"
            break
        entry = cache.get(rel)
        if entry and entry.get("signature") == _signature(st) and entry.get("digest") == want["digest"]:
            fresh[rel] = entry
            continue
        if digest(path) != want["digest"]:
            problem = f"{rel} does not match its checksum (its content changed after the index was built)"
            break
        fresh[rel] = {"signature": _signature(st), "digest": want["digest"]}
    if problem is None and fresh != cache:
        _write_cache(gen, fresh)
    return problem


def _read_cache(gen: Path) -> dict:
    try:
        data = json.loads((gen / VERIFIED).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_cache(gen: Path, verified: dict) -> None:
    tmp = gen / f".{VERIFIED}.{os.getpid()}.tmp"
    try:
        tmp.write_text(json.dumps(verified, separators=(",", ":")), encoding="utf-8")
        os.replace(tmp, gen / VERIFIED)
    except OSError:  # a read-only index is verified in full every time, not refused
        tmp.unlink(missing_ok=True)
