"""Builds a large, realistic Maildir for the benchmark: ~2% Meta notifications (distinct files, 20–80 KB HTML),
a few confirmations in INBOX and Junk, the rest ordinary mail, spread over INBOX (70%), Archive (20%) and Junk (10%).

Ordinary mail is hard-linked from a few dozen distinct files: neither the tool nor the baseline ever downloads it
(the server's SEARCH FROM skips it), so 100k messages need ~150 MB on disk instead of 5 GB. Dovecot still indexes
every message; only the page cache is friendlier than on a real server's cold disk.
"""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from mailbuilder import DE_CONFIRMATION, DKIM_SIGNATURE, EN_CONFIRMATION, OUTLOOK_PASS

META_SHARE = 0.02
CONFIRMATIONS = [("Junk", DE_CONFIRMATION, "lord.canterville"), ("INBOX", EN_CONFIRMATION, "bello.der.hund")]
NOTIFICATION_SUBJECTS = [
    "lord.canterville, du hast 3 neue Benachrichtigungen",
    "Neue Anmeldung bei Instagram",
    "Washington Otis hat dir eine Freundschaftsanfrage gesendet",
    "Sieh dir an, was du verpasst hast",
]


def _html(rng: random.Random, kilobytes: int, text: str) -> str:
    cell = '<tr><td style="font-family:Helvetica,Arial;font-size:14px;color:#262626;padding:4px 0">{}</td></tr>'
    words = ["Beitrag", "Story", "Reel", "Follower", "Kommentar", "Gefällt", "dir", "Profil", "Nachricht", "Hinweis"]
    rows: list[str] = []
    size = 0
    while size < kilobytes * 1024:
        rows.append(cell.format(" ".join(rng.choice(words) for _ in range(12))))
        size += len(rows[-1])
    return f"<html><body><table>{''.join(rows)}</table><p>{text}</p></body></html>"


def _message(
    rng: random.Random, index: int, sender: str, subject: str, text: str, sent: datetime, auth: bool = True
) -> bytes:
    domain = sender.rpartition("@")[2].rstrip(">")
    boundary = f"b{index:08d}"
    headers = [
        *([f"Authentication-Results: {OUTLOOK_PASS.format(domain=domain)}"] if auth else []),
        f"DKIM-Signature: {DKIM_SIGNATURE.format(domain=domain)}",
        f"From: {sender}",
        "To: lord.canterville@outlook.de",
        f"Subject: {subject}",
        f"Date: {format_datetime(sent)}",
        f"Message-ID: <bench.{index}@{domain}>",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/alternative; boundary="{boundary}"',
    ]
    html = _html(rng, rng.randint(20, 80), text.replace("\n", "<br>"))
    body = (
        f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
        f"--{boundary}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n--{boundary}--\r\n"
    )
    return ("\r\n".join(headers) + "\r\n\r\n" + body).encode("utf-8")


def _folder(index: int) -> str:
    share = index % 10
    return "Junk" if share == 9 else "Archive" if share >= 7 else "INBOX"


def build(maildir: Path, total: int, uid: int, gid: int, seed: int = 7, meta: int | None = None) -> dict[str, int]:
    """Writes ``total`` messages (``meta`` of them Meta notifications, default 2%) into INBOX, Archive and Junk;
    returns counts per kind."""
    rng = random.Random(seed)
    start = datetime(2024, 6, 1, tzinfo=UTC)
    folders = {"INBOX": maildir, "Junk": maildir / ".Junk", "Archive": maildir / ".Archive"}
    for folder in folders.values():
        for sub in ("cur", "new", "tmp"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
    templates = [
        _message(rng, -n, f"Newsletter {n} <news@shop{n}.example>", f"Angebot {n}", "Unsere Angebote", start)
        for n in range(40)
    ]
    template_files = []
    for n, raw in enumerate(templates):
        path = maildir / "tmp" / f"template.{n}"
        path.write_bytes(raw)
        template_files.append(path)
    counts = {"meta": 0, "other": 0, "confirmation": 0}
    meta_every = max(1, round(total / meta)) if meta else round(1 / META_SHARE)
    for index in range(total):
        sent = start + timedelta(minutes=7 * index)
        name = f"{int(sent.timestamp())}.M{index}P1.bench:2,S"
        if index < len(CONFIRMATIONS):
            folder, body, user = CONFIRMATIONS[index]
            text = body.format(user=user, to="lord.canterville@outlook.de")
            raw = _message(rng, index, "Instagram <no-reply@mail.instagram.com>", "Dein Widerspruch", text, sent)
            (folders[folder] / "cur" / name).write_bytes(raw)
            counts["confirmation"] += 1
        elif index % meta_every == 0:
            subject = rng.choice(NOTIFICATION_SUBJECTS)
            text = f"Hallo lord.canterville,\n\n{subject}.\n\nDiese Nachricht ist für lord.canterville bestimmt."
            raw = _message(rng, index, "Instagram <no-reply@mail.instagram.com>", subject, text, sent)
            (folders[_folder(index // meta_every)] / "cur" / name).write_bytes(raw)
            counts["meta"] += 1
        else:
            os.link(template_files[index % len(template_files)], folders[_folder(index)] / "cur" / name)
            counts["other"] += 1
    for path in template_files:
        path.unlink()
    for root, dirs, files in os.walk(maildir):
        for entry in dirs + files:
            os.lchown(os.path.join(root, entry), uid, gid)
    os.lchown(maildir, uid, gid)
    return counts
