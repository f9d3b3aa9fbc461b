"""Chunk and sentence vectors in Milvus, for ``RAG_BACKEND=milvus`` (a milvus-lite file or a server).

Only the vectors move: chunks, BM25, knowledge and the manifest stay in the index folder.
Each vector kind (chunk, sentence) is one collection with the fields ``pk`` (INT64 primary
key, fixed for the life of a vector), ``doc_id`` (VARCHAR, the article) and ``vector``
(FLOAT_VECTOR; inner product = cosine, as the vectors are normalised).

Rows are renumbered by every update (row i = chunk i), primary keys are not: each
generation folder keeps ``<kind>.pks.npy``, row -> primary key, and a search maps the
keys it gets back to rows through it, dropping keys the generation does not hold. So:

- an update inserts new vectors under fresh keys (from ``next_pk`` up) into the live
  collection; the previous generation does not map them, so it serves unchanged until the
  manifest names the new one; the dropped keys are deleted only after that switch
  (:func:`settle`), and until then no generation that is live maps them;
- a full build (``rag index --rebuild``, a new model, a first build) fills a new collection
  ``<prefix>_<kind>_<generation>``; the manifest switch is the commit, then the alias
  ``<prefix>_<kind>`` is moved to it and the old collection dropped. A crash at any point
  leaves the previous manifest naming a complete collection; leftovers (keys from
  ``next_pk`` up, collections no manifest names) are removed by the next build.
"""
from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rag.config import BackendConfig
from rag.errors import IndexCorruptError, MissingDependencyError, VectorStoreError
from rag.index.vector_store import ivf_lists

log = logging.getLogger(__name__)

KINDS = {"faiss": "chunks", "sentence_faiss": "sentences"}  # manifest file key -> collection kind
PK_FILES = {"faiss": "vectors.pks.npy", "sentence_faiss": "sentences.pks.npy"}
BATCH = 2000  # rows per insert / get request (a few MB per gRPC message)
MAX_TOPK = 16384  # Milvus' limit on one search's top k
_REBUILD = "Rebuild the index: rag index --rebuild (with RAG_BACKEND=milvus and the right RAG_MILVUS_URI)"
_CLIENTS: dict[str, Any] = {}


def pymilvus_module():
    try:
        import pymilvus
    except ImportError as exc:
        raise MissingDependencyError("pymilvus", extra="milvus", purpose="RAG_BACKEND=milvus") from exc
    # pymilvus logs every failed call with its traceback before raising; call() re-raises it with a hint
    logging.getLogger("pymilvus").setLevel(logging.CRITICAL)
    return pymilvus


def resolve_uri(uri: str | None, index_dir: Path) -> str:
    """A server URI as given; a milvus-lite file as an absolute path (default: ``<index>/milvus.db``)."""
    if not uri:
        return str((Path(index_dir) / "milvus.db").resolve())
    if "://" in uri:
        return uri
    if not uri.endswith(".db"):
        raise VectorStoreError(f"RAG_MILVUS_URI={uri!r} is neither a server address nor a .db file.",
                               "Use a milvus-lite file such as /data/rag.db, or http://host:19530 for a server.")
    return str(Path(uri).expanduser().resolve())


def client(uri: str, token: str | None = None):
    """One MilvusClient per URI per process (milvus-lite allows one process per file)."""
    if uri not in _CLIENTS:
        pymilvus = pymilvus_module()
        if uri.endswith(".db"):
            Path(uri).parent.mkdir(parents=True, exist_ok=True)
            # milvus-lite serves gRPC in this process and logs a traceback for each RPC it lacks
            # (create_collection asks for AllocTimestamp, which it does not implement; the call succeeds)
            logging.getLogger("grpc._server").setLevel(logging.CRITICAL)
        try:
            _CLIENTS[uri] = pymilvus.MilvusClient(uri=uri, token=token or "")
        except Exception as exc:  # connection refused, lite file locked by another process...
            raise VectorStoreError(f"Cannot open Milvus at {uri}: {exc}",
                                   "Check RAG_MILVUS_URI; a milvus-lite file can be open in one process only.") from exc
    return _CLIENTS[uri]


def release(uri: str) -> None:
    """Close the client of ``uri`` and, for a milvus-lite file, stop its in-process server."""
    c = _CLIENTS.pop(uri, None)
    if c is not None:
        c.close()
    if uri.endswith(".db"):
        try:
            from milvus_lite.server_manager import server_manager_instance
        except ImportError:
            return
        server_manager_instance.release_server(uri)


def collection_prefix(backend: BackendConfig, index_dir: Path) -> str:
    """``lugang_<hash of the index folder>`` unless RAG_MILVUS_COLLECTION names one (letters, digits, _)."""
    if backend.collection:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,200}", backend.collection):
            raise VectorStoreError(f"RAG_MILVUS_COLLECTION={backend.collection!r} is not a collection name.",
                                   "Use letters, digits and underscores, starting with a letter.")
        return backend.collection
    digest = hashlib.blake2b(str(Path(index_dir).resolve()).encode("utf-8"), digest_size=5).hexdigest()
    return f"lugang_{digest}"


@dataclass
class Target:
    """Where a build writes vectors: the client, the URI the manifest records (None = the index folder's
    milvus.db) and the collection-name prefix."""

    client: Any
    uri: str | None
    prefix: str
    backend: BackendConfig

    @classmethod
    def open(cls, backend: BackendConfig, index_dir: Path) -> Target:
        uri = resolve_uri(backend.milvus_uri, index_dir)
        return cls(client(uri, backend.token), uri if backend.milvus_uri else None,
                   collection_prefix(backend, index_dir), backend)

    def manifest(self) -> dict:
        return {"uri": self.uri, "prefix": self.prefix}


def open_recorded(record: dict, backend: BackendConfig, index_dir: Path):
    """The client of an index's recorded URI (RAG_MILVUS_URI, when set, overrides it: a moved server)."""
    return client(resolve_uri(backend.milvus_uri or record.get("uri"), index_dir), backend.token)


def index_type_for(n: int, backend: BackendConfig, flat_max: int) -> str:
    if backend.index_type != "auto":
        return backend.index_type
    return "FLAT" if n <= flat_max else "IVF_FLAT"


def _index_params(c, index_type: str, n: int):
    params = {"FLAT": {}, "IVF_FLAT": {"nlist": ivf_lists(n)}, "HNSW": {"M": 16, "efConstruction": 200}}[index_type]
    ip = c.prepare_index_params()
    ip.add_index(field_name="vector", index_type=index_type, metric_type="IP", params=params)
    return ip


class MilvusVectors:
    """Vectors by row, in a Milvus collection: the interface of ``vector_store.VectorSet`` that Index uses."""

    def __init__(self, c, record: dict, pks: np.ndarray, dim: int, nprobe: int):
        self.client, self.record = c, record
        self.collection: str = record["collection"]
        self.pks = np.asarray(pks, dtype=np.int64)
        self._d, self.nprobe = dim, nprobe
        self.kind = f"milvus:{record['index_type']}"
        self._lookup: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def d(self) -> int:
        return self._d

    @property
    def ntotal(self) -> int:
        return len(self.pks)

    def stats(self) -> dict:
        return {"collection": self.collection, "rows": self.ntotal, "next_pk": self.record["next_pk"]}

    def rows_of(self, pks) -> np.ndarray:
        """Rows of primary keys (-1 for a key this generation does not hold)."""
        if self._lookup is None:
            order = np.argsort(self.pks, kind="stable")
            self._lookup = (self.pks[order], order)
        keys, order = self._lookup
        pks = np.asarray(pks, dtype=np.int64)
        at = np.minimum(np.searchsorted(keys, pks), max(len(keys) - 1, 0))
        found = (keys[at] == pks) if len(keys) else np.zeros(len(pks), bool)
        return np.where(found, order[at], -1)

    def search(self, query_vec: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows and inner-product scores of the ``k`` nearest vectors this generation holds."""
        k = min(k, self.ntotal)
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        q = np.asarray(query_vec, dtype=np.float32).reshape(-1)
        params = {"metric_type": "IP", "params": {"nprobe": self.nprobe, "ef": max(64, k)}}
        limit = k
        while True:  # keys of an update under way or not yet deleted are skipped: ask for more if they crowd in
            hits = self._call("search", self.collection, data=[q], limit=limit, output_fields=["pk"],
                              search_params=params)[0]
            pks = np.fromiter((h["pk"] for h in hits), dtype=np.int64, count=len(hits))
            scores = np.fromiter((h["distance"] for h in hits), dtype=np.float32, count=len(hits))
            rows = self.rows_of(pks)
            keep = rows >= 0
            if keep.sum() >= k or len(hits) < limit or limit >= MAX_TOPK:
                return rows[keep][:k], scores[keep][:k]
            limit = min(MAX_TOPK, limit * 4)

    def reconstruct(self, rows) -> np.ndarray:
        """The vectors of ``rows``, in order."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.empty((len(rows), self.d), dtype=np.float32)
        pks = self.pks[rows]
        for lo in range(0, len(pks), BATCH):
            part = pks[lo : lo + BATCH]
            got = self._call("get", self.collection, ids=part.tolist(), output_fields=["pk", "vector"])
            vec = {int(g["pk"]): g["vector"] for g in got}
            missing = [int(p) for p in part if int(p) not in vec]
            if missing:
                raise IndexCorruptError(f"The Milvus collection {self.collection} lacks {len(missing)} of the "
                                        f"vectors the index lists (e.g. primary key {missing[0]}).", _REBUILD)
            out[lo : lo + len(part)] = np.asarray([vec[int(p)] for p in part], dtype=np.float32)
        return out

    def _call(self, method: str, *args, **kwargs):
        return call(self.client, method, *args, **kwargs)


def call(c, method: str, *args, **kwargs):
    """``c.method(...)``, a Milvus failure raised as VectorStoreError."""
    try:
        return getattr(c, method)(*args, **kwargs)
    except Exception as exc:
        if type(exc).__module__.startswith("pymilvus") or "grpc" in type(exc).__module__:
            raise VectorStoreError(f"Milvus refused {method} on {args[0] if args else ''}: {exc}",
                                   "Check that the Milvus server is up and RAG_MILVUS_URI points at it.") from exc
        raise


def _create(c, name: str, dim: int, index_type: str, n: int) -> None:
    pymilvus = pymilvus_module()
    schema = pymilvus.MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("pk", pymilvus.DataType.INT64, is_primary=True)
    schema.add_field("doc_id", pymilvus.DataType.VARCHAR, max_length=1024)
    schema.add_field("vector", pymilvus.DataType.FLOAT_VECTOR, dim=dim)
    if call(c, "has_collection", name):
        call(c, "drop_collection", name)  # left by a build that crashed
    # Strong: a search sees every insert and delete acknowledged before it (a server defaults to Bounded)
    call(c, "create_collection", name, schema=schema, index_params=_index_params(c, index_type, n),
         consistency_level="Strong")


def _insert(c, name: str, pks: np.ndarray, doc_ids, vecs: np.ndarray) -> None:
    for lo in range(0, len(pks), BATCH):
        call(c, "insert", name, [{"pk": int(p), "doc_id": str(d), "vector": v} for p, d, v in
                                 zip(pks[lo : lo + BATCH], doc_ids[lo : lo + BATCH], vecs[lo : lo + BATCH])])


def next_set(c, prefix: str, name: str, gen_name: str, old, mapping: np.ndarray, new_rows: np.ndarray,
             new_vecs: np.ndarray, row_docs: np.ndarray, dim: int, full: Callable[[], np.ndarray],
             backend: BackendConfig, flat_max: int, nprobe: int) -> MilvusVectors:
    """The vectors of the next generation: the live collection updated when ``old`` is one on this
    server with this prefix, else a new collection filled from ``full()`` (every vector in row order).

    ``mapping[r]`` is the new row of old row ``r`` (-1 = dropped); ``new_vecs`` go to ``new_rows``;
    ``row_docs[r]`` is the article of new row ``r``.
    """
    total = len(row_docs)
    index_type = index_type_for(total, backend, flat_max)
    alias = f"{prefix}_{KINDS[name]}"
    reusable = (isinstance(old, MilvusVectors) and old.client is c and old.record.get("alias") == alias
                and call(c, "has_collection", old.collection))
    if not reusable:
        collection = f"{alias}_{gen_name.replace('-', '_')}"
        _create(c, collection, dim, index_type, total)
        pks = np.arange(total, dtype=np.int64)
        vecs = full()
        _insert(c, collection, pks, row_docs, vecs)
        record = {"collection": collection, "alias": alias, "next_pk": total, "index_type": index_type}
        if index_type == "IVF_FLAT":
            record["nlist"] = ivf_lists(total)
        return MilvusVectors(c, record, pks, dim, nprobe)
    record = dict(old.record)
    collection = record["collection"]
    # keys from next_pk up belong to no generation: an update that crashed before its switch left them
    call(c, "delete", collection, filter=f"pk >= {int(record['next_pk'])}")
    _sweep(c, collection, old.pks, int(record["next_pk"]))
    pks = np.full(total, -1, dtype=np.int64)
    kept = np.flatnonzero(mapping >= 0)
    pks[mapping[kept]] = old.pks[kept]
    fresh = np.arange(record["next_pk"], record["next_pk"] + len(new_rows), dtype=np.int64)
    pks[new_rows] = fresh
    _insert(c, collection, fresh, row_docs[new_rows], np.asarray(new_vecs, dtype=np.float32))
    record["next_pk"] = int(record["next_pk"]) + len(new_rows)
    _reindex(c, collection, record, index_type, total)
    return MilvusVectors(c, record, pks, dim, nprobe)


def _sweep(c, collection: str, live: np.ndarray, next_pk: int) -> None:
    """Delete keys below ``next_pk`` that the live generation does not map (a crash between a switch and
    :func:`settle` leaves them). Counting is cheap; listing every key happens only when the count is off."""
    count = call(c, "query", collection, filter=f"pk < {next_pk}", output_fields=["count(*)"])
    if int(count[0]["count(*)"]) <= len(live):
        return
    it = call(c, "query_iterator", collection, batch_size=10_000, filter=f"pk < {next_pk}", output_fields=["pk"])
    live_sorted = np.sort(live)
    while batch := it.next():
        pks = np.asarray([b["pk"] for b in batch], dtype=np.int64)
        dead = pks[~np.isin(pks, live_sorted, assume_unique=True)]
        if len(dead):
            call(c, "delete", collection, ids=dead.tolist())
    it.close()


def _reindex(c, collection: str, record: dict, index_type: str, total: int) -> None:
    """Swap the vector index when the collection crossed ``flat_max`` (or an IVF's lists no longer fit)."""
    if index_type == record["index_type"] and (
            index_type != "IVF_FLAT" or 0.25 <= record.get("nlist", 1) / ivf_lists(total) <= 4):
        return
    call(c, "release_collection", collection)
    for name in call(c, "list_indexes", collection):
        call(c, "drop_index", collection, name)
    call(c, "create_index", collection, _index_params(c, index_type, total))
    call(c, "load_collection", collection)
    record["index_type"] = index_type
    if index_type == "IVF_FLAT":
        record["nlist"] = ivf_lists(total)


def write(vectors: MilvusVectors, path: Path) -> None:
    """The generation's row -> primary key map."""
    np.save(path, vectors.pks, allow_pickle=False)


def read(c, path: Path, record: dict, dim: int, nprobe: int) -> MilvusVectors:
    """Open a generation's vectors; IndexCorruptError (with a hint) when the collection does not fit."""
    pks = np.load(path, allow_pickle=False)
    collection = record["collection"]
    where = f"the Milvus collection {collection}"
    if not call(c, "has_collection", collection):
        raise IndexCorruptError(f"The index's vectors are missing: {where} does not exist.",
                                "Check RAG_MILVUS_URI (it must be where the index was built), or r" + _REBUILD[1:])
    call(c, "load_collection", collection)  # a reopened milvus-lite file has its collections released
    fields = call(c, "describe_collection", collection)["fields"]
    got_dim = next((f.get("params", {}).get("dim") for f in fields if f["name"] == "vector"), None)
    if got_dim is None or int(got_dim) != dim:
        raise IndexCorruptError(f"{where} holds vectors of {got_dim} dimensions, the index's model {dim}.", _REBUILD)
    count = call(c, "query", collection, filter=f"pk < {int(record['next_pk'])}", output_fields=["count(*)"])
    held = int(count[0]["count(*)"])
    if held < len(pks):  # more is fine: keys a finished update still has to delete
        raise IndexCorruptError(f"{where} holds {held} of the index's {len(pks)} vectors.", _REBUILD)
    return MilvusVectors(c, record, pks, dim, nprobe)


def settle(c, old, new: MilvusVectors) -> None:
    """After the manifest switch: delete what no generation maps any more, move the alias, drop old collections."""
    if isinstance(old, MilvusVectors) and old.collection == new.collection:
        gone = np.setdiff1d(old.pks, new.pks)
        for lo in range(0, len(gone), 10_000):
            call(c, "delete", new.collection, ids=gone[lo : lo + 10_000].tolist())
    alias = new.record["alias"]
    exists = alias in call(c, "list_aliases").get("aliases", [])
    call(c, "alter_alias" if exists else "create_alias", new.collection, alias)
    for name in call(c, "list_collections"):  # earlier full builds of this index, and crashed ones
        if name.startswith(alias + "_") and name != new.collection:
            call(c, "drop_collection", name)
