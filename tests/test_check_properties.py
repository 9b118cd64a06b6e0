"""Property tests over the whole `check`: mailboxes of genuine-looking fixtures, mutated byte by byte and header by
header, never end in exit 70 (a bug) and never give a group a verified confirmation that was not a confirmation to
begin with; and whatever someone writes into a comment or message that Meta passes on, it never becomes Meta's
confirmation. Derandomized: the same examples on every run."""

from __future__ import annotations

import hashlib
import json
import mailbox
import tempfile
from pathlib import Path

from conftest import examples
from helpers import run, write_config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mailbuilder import mail

from verifier.model import Kind, Trust
from verifier.recognise.catalogue import languages
from verifier.recognise.classify import classify_raw

MAILS = Path(__file__).resolve().parent.parent / "fixtures" / "mails"
CORPUS = {
    path.stem: (path.read_bytes(), json.loads(path.with_name(path.stem + ".expected.json").read_text("utf-8")))
    for path in sorted(MAILS.glob("*.eml"))
}
NAMES = sorted(CORPUS)
FIXED = settings(
    derandomize=True, max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow],
    database=None,
)
NASTY = [
    b'charset="idna"', b'charset="punycode"', b'charset="undefined"', b"charset=utf\x008", b"=?\xe4?q?x?=",
    b"\x00", b"\r\n--", b'boundary="x"', b"\r\nContent-Type: message/rfc822\r\n\r\n", b"\r\nSubject: dup\r\n",
    b"\xff\xfe", b"\r\n\r\n", b"=?utf-8?b?====?=", b"Content-Transfer-Encoding: x-uuencode\r\n", b"<blockquote>",
    b"multipart/mixed; boundary=", b"\r\n>", b"\xe2\x80\xae",
]


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(NAMES))
    raw = bytearray(CORPUS[name][0])
    for _ in range(draw(st.integers(0, 3))):
        where = draw(st.integers(0, max(0, len(raw) - 1)))
        how = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        if how == "flip" and raw:
            raw[where] ^= draw(st.integers(1, 255))
        elif how == "cut":
            del raw[where:]
        elif how == "insert":
            raw[where:where] = draw(st.sampled_from(NASTY))
        else:
            del raw[where : where + draw(st.integers(1, 40))]
    return name, bytes(raw)


def _carries_confirmation_wording(name: str) -> bool:
    """Bases whose bytes hold confirmation wording somewhere (a confirmation, or a notification quoting one)."""
    return CORPUS[name][1]["kind"] == "confirmation" or name.startswith("notification_")


@FIXED
@given(st.lists(mutated(), min_size=1, max_size=6), st.booleans())
def test_check_over_mutated_mailboxes_never_fails_and_never_invents_a_confirmation(mails, keep: bool):
    """With and without the evidence archive (keeping a mail reads its headers once more, for the record)."""
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        box = mailbox.Maildir(root / "Maildir", create=True)
        for _, raw in mails:
            box.add(raw)
        box.close()
        config = write_config(root)
        box_spec = f"maildir:{root / 'Maildir'}"
        archive = ["--archive", str(root / "evidence.sqlite")] if keep else ["--no-archive"]
        result = run("--config", str(config), "check", *archive, "--json", "--mailbox", box_spec)
    assert result.exit_code in (0, 1, 2), result.stderr  # never 70 (a bug), never a traceback
    if result.exit_code == 2:
        assert len(result.stderr.strip().splitlines()) == 1  # nothing readable at all: one line, no verdict
        return
    document = json.loads(result.stdout)
    base_of = {hashlib.sha256(raw).hexdigest(): name for name, raw in mails}
    for group in document["groups"]:
        if group["status"] != "confirmed":
            continue
        proof = [e for e in group["evidence"] if e["kind"] == "confirmation" and e["trust"] == "verified"]
        assert proof and all(CORPUS[base_of[e["sha256"]]][1]["kind"] == "confirmation" for e in proof)


@FIXED
@given(mutated())
def test_a_mutated_mail_without_confirmation_wording_is_never_a_verified_confirmation(case: tuple[str, bytes]):
    name, raw = case
    found = classify_raw(raw)
    if not _carries_confirmation_wording(name):
        assert not (found.kind is Kind.CONFIRMATION and found.trust is Trust.VERIFIED), (name, found.reasons)


def _phrases() -> list[str]:
    kinds = [lang.kinds["confirmation"] for lang in languages()]
    confirmation = [p for phrases in kinds for p in (*phrases.strong, *phrases.weak)]
    framing = [p for lang in languages() for phrases in lang.notifications.values() for p in phrases[:2]]
    return confirmation + framing


PIECES = st.one_of(
    st.sampled_from(_phrases()),
    st.sampled_from(['"', "„", "“", "”", "«", "»", "'", "\n", "\n\n", "> ", "<br>", "</blockquote>", "<blockquote>",
                     "\u200b", "\u00ad", "\u202e", "Hi lord.canterville,", "Hallo lord.canterville,", ": ", ". "]),
    st.text(max_size=20),
)
FRAMES = [
    ("anna.schmidt commented on your post: {c}", "anna.schmidt commented on your post"),
    ("anna.schmidt hat deinen Beitrag kommentiert: {c}", "Neuer Kommentar"),
    ("Anna Schmidt hat dir eine Nachricht gesendet:\n\n{c}", "Neue Nachricht von Anna Schmidt"),
    ("anna.schmidt sent you a message: {c}", "{c}"),  # the message also in the subject, as some notifications do
    ("anna.schmidt tagged you in a post: {c}", "anna.schmidt tagged you"),
    ("Anna Schmidt posted in Canterville Ghosts:\n{c}", "New post in Canterville Ghosts"),
    ("anna.schmidt hat auf deinen Kommentar geantwortet: {c}", "anna.schmidt hat geantwortet"),
]


@FIXED
@given(st.lists(PIECES, min_size=1, max_size=14), st.sampled_from(FRAMES), st.booleans())
def test_nothing_written_into_a_notification_becomes_metas_confirmation(pieces, frame, html):
    comment = " ".join(pieces)
    body_frame, subject = frame
    body = "Hi lord.canterville,\n\n" + body_frame.format(c=comment) + "\n\nThis message was intended for you.\n"
    subject = " ".join(subject.format(c=comment).split())[:200]  # a subject is one line
    raw = mail(body.replace("{", "{{").replace("}", "}}"), subject=subject, html=html)
    found = classify_raw(raw)
    assert found.trust is Trust.VERIFIED  # the provider vouches for the notification
    assert found.kind is not Kind.CONFIRMATION, found.reasons
