"""The local evidence archive: one SQLite file that keeps every relevant mail once, with its evidence record.

This module owns the connection and the schema. Other parts (e.g. scan state) add tables through MIGRATIONS, never by
opening the file themselves. Every write is one transaction (WAL journal), so a crash or a kill mid-write leaves the
last committed state, never half a record.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from verifier.errors import VerifierError
from verifier.evidence.record import EvidenceRecord, record_of, worth_keeping
from verifier.evidence.stampstore import StampStore, as_bytes
from verifier.model import Found

# Each entry upgrades the schema by one version; append, never edit a released one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE mails (
        id INTEGER PRIMARY KEY,
        sha256 TEXT NOT NULL UNIQUE,      -- of the raw bytes: the key, and what `archive verify` re-checks
        raw BLOB NOT NULL,                -- the RFC 822 bytes exactly as the mailbox gave them
        message_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        found_at TEXT NOT NULL,           -- first seen (UTC, ISO 8601)
        last_seen_at TEXT NOT NULL,       -- last seen in a mailbox
        record TEXT NOT NULL              -- the EvidenceRecord as JSON, frozen when first stored
    );
    CREATE INDEX mails_message_id ON mails (message_id);
    """,
    """
    CREATE TABLE scan_state (
        source TEXT PRIMARY KEY,          -- which mailbox ("lord@outlook.de at outlook.office365.com")
        state TEXT NOT NULL               -- the backend's own resume point as JSON (IMAP: UIDVALIDITY, last UID)
    );
    CREATE TABLE last_run (
        source TEXT PRIMARY KEY,
        checked_at TEXT NOT NULL,
        report TEXT NOT NULL              -- the previous Report as JSON: what --quiet compares against
    );
    """,
    """
    CREATE TABLE timestamps (
        mail_id INTEGER NOT NULL REFERENCES mails (id),
        subject TEXT NOT NULL,            -- 'mail' (over the raw bytes) or 'record' (over the record JSON as stored)
        query BLOB NOT NULL,              -- the RFC 3161 request sent (.tsq)
        token BLOB NOT NULL,              -- the TSA's answer (.tsr, DER TimeStampResp), kept byte for byte
        tsa_url TEXT NOT NULL,
        gen_time TEXT NOT NULL,           -- the time the token proves (UTC, ISO 8601), as read when it came
        chain TEXT NOT NULL,              -- PEM: the certificates it validated against when it came (TSA to root)
        PRIMARY KEY (mail_id, subject)
    );
    """,
)


class ArchiveError(VerifierError):
    """The archive file cannot be opened or written (the check itself goes on without it)."""


@dataclass(frozen=True)
class Mismatch:
    id: int
    sha256: str
    actual: str


class Archive(StampStore):
    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path

    @classmethod
    def open(cls, path: Path, *, create: bool = True) -> Archive:
        from verifier.privatefile import unsafe_place

        # The archive's mails count as evidence: one another user could plant or swap is not (a planted archive
        # once made an empty mailbox CONFIRMED).
        # SQLite opens its -wal/-shm/-journal files beside the archive, following symlinks: those are checked too
        siblings = [path.with_name(path.name + suffix) for suffix in ("", "-wal", "-shm", "-journal")]
        if why := next(filter(None, map(unsafe_place, siblings)), None):
            raise ArchiveError(key="archive_unsafe", why=why)
        if not create and not path.is_file():
            raise ArchiveError(key="no_archive", path=path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            db = sqlite3.connect(path, isolation_level=None, timeout=10)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            archive = cls(db, path)
            archive._migrate()
        except (OSError, sqlite3.Error) as err:
            raise ArchiveError(key="archive_unusable", path=path, why=str(err)) from None
        return archive

    @classmethod
    def in_memory(cls) -> Archive:
        """An archive that lives as long as this process: `watch` without a file keeps its findings here between
        wake-ups, so it runs the same incremental pipeline as with one."""
        db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        archive = cls(db, Path(":memory:"))
        archive._migrate()
        return archive

    def _migrate(self) -> None:
        with self._transaction():
            self._db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = self._db.execute("SELECT version FROM schema_version").fetchone()
            if row is None:
                self._db.execute("INSERT INTO schema_version VALUES (0)")
            current = row[0] if row else 0
            if current > len(MIGRATIONS):
                raise ArchiveError(key="archive_newer", path=self.path)
            for version in range(current, len(MIGRATIONS)):
                for statement in MIGRATIONS[version].split(";"):
                    if statement.strip():
                        self._db.execute(statement)
            self._db.execute("UPDATE schema_version SET version = ?", (len(MIGRATIONS),))

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("SELECT version FROM schema_version").fetchone()[0])

    def store(self, found: Iterable[Found], checked_at: datetime, source: str, scan_state: dict | None = None) -> int:
        """Keep every mail worth keeping; a mail seen before only gets its last-seen time moved. With ``scan_state``
        the source's resume point is saved in the same transaction, so it never runs ahead of the stored mails.
        Returns how many were new."""
        new = 0
        # Fresh records are built before the transaction: keeping the DKIM key asks DNS, and no lock is held for that
        try:
            fresh: dict[str, EvidenceRecord] = {}
            for item in found:  # the first copy of the same bytes is the one kept, as below
                sha = hashlib.sha256(item.raw).hexdigest()
                if worth_keeping(item) and sha not in fresh and not self._known(sha):
                    fresh[sha] = record_of(item, checked_at, source)
            with self._transaction():
                if scan_state is not None:
                    self._db.execute(
                        "INSERT OR REPLACE INTO scan_state (source, state) VALUES (?, ?)",
                        (source, json.dumps(scan_state)),
                    )
                for item in found:
                    if not worth_keeping(item):
                        continue
                    sha = hashlib.sha256(item.raw).hexdigest()
                    seen = self._db.execute(
                        "UPDATE mails SET last_seen_at = ? WHERE sha256 = ?", (checked_at.isoformat(), sha)
                    )
                    if seen.rowcount:
                        continue
                    record = fresh.get(sha) or record_of(item, checked_at, source)
                    self._db.execute(
                        "INSERT INTO mails (sha256, raw, message_id, kind, found_at, last_seen_at, record)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (
                            sha,
                            item.raw,
                            record.message_id,
                            record.kind.value,
                            checked_at.isoformat(),
                            checked_at.isoformat(),
                            record.model_dump_json(exclude={"id"}),
                        ),
                    )
                    new += 1
        except sqlite3.Error as err:
            raise ArchiveError(key="archive_not_stored", path=self.path, why=str(err)) from None
        return new

    def _known(self, sha: str) -> bool:
        return self._db.execute("SELECT 1 FROM mails WHERE sha256 = ?", (sha,)).fetchone() is not None

    def scan_state(self, source: str) -> dict | None:
        row = self._db.execute("SELECT state FROM scan_state WHERE source = ?", (source,)).fetchone()
        return json.loads(row[0]) if row else None

    def last_report(self, source: str) -> str | None:
        row = self._db.execute("SELECT report FROM last_run WHERE source = ?", (source,)).fetchone()
        return row[0] if row else None

    def remember_report(self, source: str, checked_at: datetime, report_json: str) -> None:
        try:
            with self._transaction():
                self._db.execute(
                    "INSERT OR REPLACE INTO last_run (source, checked_at, report) VALUES (?, ?, ?)",
                    (source, checked_at.isoformat(), report_json),
                )
        except sqlite3.Error as err:
            raise ArchiveError(key="archive_run_not_stored", path=self.path, why=str(err)) from None

    def _record(self, row: tuple) -> EvidenceRecord:
        record = EvidenceRecord.model_validate_json(row[3])
        return record.model_copy(update={"id": row[0], "last_seen_at": datetime.fromisoformat(row[2])})

    def records(self) -> list[EvidenceRecord]:
        rows = self._db.execute("SELECT id, sha256, last_seen_at, record FROM mails ORDER BY id").fetchall()
        return [self._record(row) for row in rows]

    def get(self, key: str) -> EvidenceRecord | None:
        """By number (`archive list` shows it) or by the start of the SHA-256 (at least 8 hex digits)."""
        key = key.strip().lower()
        if key.isdigit():
            query, value = "SELECT id, sha256, last_seen_at, record FROM mails WHERE id = ?", key
        elif len(key) >= 8:
            query, value = "SELECT id, sha256, last_seen_at, record FROM mails WHERE sha256 LIKE ? || '%'", key
        else:
            return None
        rows = self._db.execute(query, (value,)).fetchall()
        return self._record(rows[0]) if len(rows) == 1 else None

    def raw(self, record_id: int) -> bytes:
        row = self._db.execute("SELECT raw FROM mails WHERE id = ?", (record_id,)).fetchone()
        return b"" if row is None else as_bytes(row[0])

    def verify(self) -> tuple[int, list[Mismatch]]:
        """Re-hash every stored mail: (how many were checked, the ones whose bytes no longer match their key)."""
        checked, bad = 0, []
        for record_id, sha, raw in self._db.execute("SELECT id, sha256, raw FROM mails ORDER BY id"):
            checked += 1
            actual = hashlib.sha256(as_bytes(raw)).hexdigest()
            if actual != sha:
                bad.append(Mismatch(record_id, sha, actual))
        return checked, bad

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any exception (KeyboardInterrupt included)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *_: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")
