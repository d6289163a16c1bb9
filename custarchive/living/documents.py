"""Documents filed in an archive: the catalogue (档案目录) and the content-addressed file store.

The seed files an archive's papers in five classes, numbered and kept in
order; a document here is numbered ``<archive_no>/<class>-<seq>`` and its file,
if any, is copied into a store beside the database under its SHA-256. A
stored file is never overwritten, so the hash kept in the catalogue proves
that what comes back out is what went in (``verify_attachments``).
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import or_, select, text

from custarchive import config
from custarchive.cards import lookup
from custarchive.core import authz
from custarchive.core.changelog import Actor, ChangeEntry, record
from custarchive.core.settings import packaged, section
from custarchive.core.sqlutil import now
from custarchive.core.values import normalize_text, parse_date
from custarchive.errors import NotFound, ValidationError, VerificationFailed
from custarchive.models import documents as _documents


_SELECT = select(_documents)
_CHUNK = 1 << 20


@dataclass(frozen=True)
class DocClass:
    number: int
    label_zh: str
    label_en: str
    examples_zh: str
    examples_en: str
    order: str

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en


def document_classes() -> dict[int, DocClass]:
    return {int(c["number"]): DocClass(int(c["number"]), c["label_zh"], c["label_en"], c.get("examples_zh", ""),
                                       c.get("examples_en", ""), c.get("order", "number"))
            for c in packaged("document_classes.toml")["classes"]}


def parse_class(raw) -> int:
    classes = document_classes()
    text_value = normalize_text(str(raw))
    for number, spec in classes.items():
        if text_value in (str(number), spec.label_zh, spec.label_en.lower(), spec.label_en):
            return number
    raise ValidationError("--class", raw, f"not a document class (use 1-{max(classes)}: "
                          + ", ".join(f"{n} {c.label_zh}" for n, c in classes.items()) + ")")


class FileStore:
    """Files named by their SHA-256 under ``root/ab/cdef…``; written once, read-only afterwards."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:]

    def put(self, source: Path) -> tuple[str, int]:
        """Copy ``source`` in (hashing as it goes); an existing file with the same hash is left untouched."""
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        digest, size = hashlib.sha256(), 0
        fd, temp = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with open(source, "rb") as src, os.fdopen(fd, "wb") as dst:
                while chunk := src.read(_CHUNK):
                    digest.update(chunk)
                    dst.write(chunk)
                    size += len(chunk)
                dst.flush()
                os.fsync(dst.fileno())
            sha = digest.hexdigest()
            final = self.path_for(sha)
            if final.exists():
                os.unlink(temp)
            else:
                final.parent.mkdir(exist_ok=True, mode=0o700)
                os.chmod(temp, 0o400)
                os.replace(temp, final)
            return sha, size
        except BaseException:
            if os.path.exists(temp):
                os.unlink(temp)
            raise

    def hash_of(self, sha256: str) -> str | None:
        """The SHA-256 of what is actually stored under ``sha256`` (None when the file is missing)."""
        path = self.path_for(sha256)
        try:
            digest = hashlib.sha256()
            with open(path, "rb") as handle:
                while chunk := handle.read(_CHUNK):
                    digest.update(chunk)
            return digest.hexdigest()
        except FileNotFoundError:
            return None


def store_for(db) -> FileStore:
    """The store for a database: settings ``[documents] store``, else ``<db dir>/<stem>.files``, else the data dir."""

    configured = str(section("documents").get("store") or "").strip()
    if configured:
        return FileStore(Path(configured).expanduser())
    if db.path is not None:
        return FileStore(db.path.parent / f"{db.path.stem}.files")
    return FileStore(config.data_dir() / "files")


def _row(row) -> dict:
    return dict(row._mapping)


def format_no(archive_no: str, doc_class: int, seq: int) -> str:
    return f"{archive_no}/{doc_class}-{seq:03d}"


def _next_seq(conn, customer_id: int, doc_class: int) -> int:
    last = conn.execute(text("SELECT MAX(seq) FROM documents WHERE customer_id = :c AND doc_class = :k"),
                        {"c": customer_id, "k": doc_class}).scalar()
    return (last or 0) + 1


def add_document(conn, ref: str, doc_class, title: str, actor: Actor, store: FileStore, *,
                 doc_date: str | None = None, file: str | None = None, notes: str | None = None) -> dict:
    """File one document in an archive; everything is checked before the file is copied or a row written."""
    authz.require(conn, actor, "update")
    card = lookup.resolve(conn, ref)
    number = parse_class(doc_class)
    title = normalize_text(title or "")
    if not title:
        raise ValidationError("--title", title, "a document needs a title")
    if len(title) > 300:
        raise ValidationError("--title", title[:20] + "…", "longer than 300 characters")
    date = parse_date(doc_date, "--date") if doc_date else None
    source = None
    if file:
        source = Path(file).expanduser()
        if not source.is_file():
            raise ValidationError("--file", file, "no such file")
        if not os.access(source, os.R_OK):
            raise ValidationError("--file", file, "cannot read this file")
    seq = _next_seq(conn, card["id"], number)
    doc_no = format_no(card["archive_no"], number, seq)
    sha, size = store.put(source) if source else (None, None)
    stamp = now()
    conn.execute(text("INSERT INTO documents (customer_id, doc_class, seq, doc_no, title, doc_date, file_name, sha256, "
                      "size, notes, created_at, created_by) VALUES (:c, :k, :s, :n, :t, :d, :f, :h, :z, :o, :at, :by)"),
                 {"c": card["id"], "k": number, "s": seq, "n": doc_no, "t": title, "d": date,
                  "f": source.name if source else None, "h": sha, "z": size, "o": notes, "at": stamp,
                  "by": actor.operator})
    logged = {"class": number, "title": title, "date": date, "file": source.name if source else None, "sha256": sha}
    record(conn, [ChangeEntry(card["id"], card["archive_no"], "document", doc_no, None,
                              {k: v for k, v in logged.items() if v is not None})], actor)
    return {"archive_no": card["archive_no"], "doc_no": doc_no, "class": number, "title": title, "date": date,
            "file_name": source.name if source else None, "sha256": sha, "size": size}


def catalogue(conn, card: dict) -> list[dict]:
    """The archive's documents by class; classes marked ``order = "date"`` in date order (undated last)."""
    classes = document_classes()
    rows = [_row(r) for r in conn.execute(_SELECT.where(_documents.c.customer_id == card["id"]))]

    def key(doc):
        spec = classes.get(doc["doc_class"])
        by_date = spec is not None and spec.order == "date"
        return (doc["doc_class"], (doc["doc_date"] is None, doc["doc_date"] or "") if by_date else (False, ""),
                doc["seq"], doc["id"])

    return sorted(rows, key=key)


_SHORT = re.compile(r"^(\d+)-(\d+)$")


def find_document(conn, card: dict, docno: str) -> dict:
    """A document of this archive by ``2-003``, its full number, or the number it had before a merge."""
    wanted = normalize_text(docno or "").upper()
    match = _SHORT.match(wanted)
    if match:
        row = conn.execute(_SELECT.where(_documents.c.customer_id == card["id"],
                                         _documents.c.doc_class == int(match.group(1)),
                                         _documents.c.seq == int(match.group(2)))).first()
    else:
        row = conn.execute(_SELECT.where(_documents.c.customer_id == card["id"],
                                         or_(_documents.c.doc_no == wanted, _documents.c.former_no == wanted))).first()
    if row is None:
        raise NotFound(f"archive {card['archive_no']} has no document {docno!r} (see: doc list {card['archive_no']})")
    return _row(row)


def fetch_file(conn, ref: str, docno: str, actor: Actor, store: FileStore) -> tuple[dict, Path]:
    """The stored file of a document, after checking it still has the hash it was filed with."""
    authz.require(conn, actor, "export")
    card = lookup.resolve(conn, ref)
    doc = find_document(conn, card, docno)
    if not doc["sha256"]:
        raise NotFound(f"document {doc['doc_no']} has no attached file")
    actual = store.hash_of(doc["sha256"])
    if actual is None:
        raise VerificationFailed(f"document {doc['doc_no']}: file missing from {store.root}")
    if actual != doc["sha256"]:
        raise VerificationFailed(f"document {doc['doc_no']}: stored file does not match its SHA-256 (altered)")
    return doc, store.path_for(doc["sha256"])


def verify_attachments(conn, store: FileStore | Path | str) -> list[dict]:
    """Every attachment whose stored file is missing or no longer matches its SHA-256.

    Returns one dict per problem: ``archive_no``, ``doc_no``, ``sha256``, ``path``,
    ``problem`` ("missing" or "hash mismatch"). Each distinct file is hashed once.
    Used by ``audit`` and by ``check``.
    """
    if not isinstance(store, FileStore):
        store = FileStore(Path(store))
    rows = conn.execute(text("SELECT d.doc_no, d.sha256, c.archive_no FROM documents d "
                             "JOIN customers c ON c.id = d.customer_id WHERE d.sha256 IS NOT NULL "
                             "ORDER BY d.doc_no")).all()
    verdict: dict[str, str | None] = {}
    problems = []
    for doc_no, sha, archive_no in rows:
        if sha not in verdict:
            actual = store.hash_of(sha)
            verdict[sha] = "missing" if actual is None else (None if actual == sha else "hash mismatch")
        if verdict[sha]:
            problems.append({"archive_no": archive_no, "doc_no": doc_no, "sha256": sha,
                             "path": str(store.path_for(sha)), "problem": verdict[sha]})
    return problems


def move_documents(conn, drop: dict, keep: dict) -> list[tuple[int, str, str]]:
    """Re-file DROP's documents in KEEP, numbered after KEEP's own; returns (id, old number, new number)."""
    moved = []
    rows = conn.execute(text("SELECT id, doc_class, doc_no, former_no FROM documents WHERE customer_id = :c "
                             "ORDER BY doc_class, seq"), {"c": drop["id"]}).all()
    for doc_id, doc_class, old_no, former in rows:
        seq = _next_seq(conn, keep["id"], doc_class)
        new_no = format_no(keep["archive_no"], doc_class, seq)
        conn.execute(text("UPDATE documents SET customer_id = :c, seq = :s, doc_no = :n, former_no = :f WHERE id = :i"),
                     {"c": keep["id"], "s": seq, "n": new_no, "f": former or old_no, "i": doc_id})
        moved.append((doc_id, old_no, new_no))
    return moved
