"""The read-only mbox reader splits exactly as the stdlib's mailbox.mbox does, whatever the bytes and block size."""

from __future__ import annotations

import mailbox
from pathlib import Path

import pytest
from conftest import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from verifier.sources import mboxread

PIECES = st.sampled_from(
    [
        *(b"From ", b"From - Tue May 20 08:00:00 2025\n", b"\n", b"\r\n", b"From", b" ", b"a"),
        *(b">From ", b"\nFrom \n", b"x\n"),
    ]
)


@settings(max_examples=examples(400), deadline=None)
@given(parts=st.lists(PIECES, max_size=40), chunk=st.integers(min_value=1, max_value=9))
def test_same_messages_as_the_stdlib(tmp_path_factory: pytest.TempPathFactory, parts: list[bytes], chunk: int):
    path = tmp_path_factory.mktemp("mbox") / "box"
    path.write_bytes(b"".join(parts))
    box = mailbox.mbox(path)
    expected = [box.get_bytes(key) for key in box.iterkeys()]
    box.close()
    original = mboxread.CHUNK
    mboxread.CHUNK = chunk  # tiny blocks: every separator straddles a block boundary somewhere
    try:
        got = [raw for _, raw in mboxread.mbox_messages(path, lambda _n, _s: None)]
    finally:
        mboxread.CHUNK = original
    assert got == expected


def test_a_mail_too_large_is_reported_not_held(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(mboxread, "MAX_MAIL_BYTES", 100)
    path = tmp_path / "box"
    path.write_bytes(b"From a\nsmall\n\nFrom b\n" + b"x" * 500 + b"\n\nFrom c\nlast\n")
    skipped: list[tuple[int, int]] = []
    got = list(mboxread.mbox_messages(path, lambda number, size: skipped.append((number, size))))
    assert got == [(1, b"small\n"), (3, b"last\n")] and skipped == [(2, 502)]


def test_only_what_the_file_held_when_opened_is_read(tmp_path: Path):
    path = tmp_path / "box"
    path.write_bytes(b"From a\none\n\nFrom c\nthree\n")
    reader = mboxread.mbox_messages(path, lambda _n, _s: None)
    first = next(reader)
    with path.open("ab") as appending:  # a mail program appending while we read: that mail is for the next run
        appending.write(b"\nFrom b\ntwo\n")
    assert first == (1, b"one\n") and list(reader) == [(2, b"three\n")]


@settings(max_examples=examples(300), deadline=None)
@given(
    name=st.sampled_from(["Instagram", "Tante Erna", "=?utf-8?q?Instagr=61m?=", "FACEBOOK", "Meta", "Ïnstagram"]),
    domain=st.sampled_from(["mail.instagram.com", "web.de", "FacebookMail.com", "example.org"]),
    other=st.sampled_from(["", "Reply-To: x@instagram.com\r\n", "Subject: facebook\r\n", "X-A: =?utf-8?b?eA==?=\r\n"]),
)
def test_the_quick_header_cut_never_drops_what_the_full_one_keeps(name: str, domain: str, other: str):
    from datetime import date

    from verifier.scansteps import meta_criteria
    from verifier.sources import local

    raw = f"{other}From: {name} <a@{domain}>\r\nDate: Tue, 20 May 2025 08:00:00 +0000\r\n\r\nbody\r\n".encode()
    criteria = meta_criteria(date(2024, 5, 1))
    head = raw.split(b"\r\n\r\n", 1)[0]
    if local._cannot_match(head, criteria):
        from email.parser import BytesHeaderParser
        from email.policy import compat32

        assert not criteria.sender_matches(str(BytesHeaderParser(policy=compat32).parsebytes(head)["From"]))
