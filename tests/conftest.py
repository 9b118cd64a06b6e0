"""Shared pytest fixtures.  Dovecot-backed fixtures come first."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from dovecot_server import DovecotServer, dovecot_binary


def require_dovecot() -> None:
    """Skip (or fail on CI) when the ``dovecot`` binary is missing."""
    if dovecot_binary() is None:
        message = "dovecot not installed: apt-get install dovecot-imapd"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def dovecot() -> Iterator[DovecotServer]:
    """A fresh, started Dovecot per test (default settings), removed after."""
    require_dovecot()
    with DovecotServer() as server:
        yield server


@pytest.fixture(autouse=True)
def private_archive(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """No test may write into the real user's evidence archive: each gets its own, unless it sets --archive."""
    path = tmp_path_factory.mktemp("archive") / "evidence.sqlite"
    monkeypatch.setenv("VERIFY_OBJECTION_ARCHIVE__PATH", str(path))
    return path


@pytest.fixture(scope="session", autouse=True)
def no_real_dns_for_dkim_keys() -> Iterator[None]:
    """Module- and session-scoped fixtures run before the per-test table below: they must not reach real DNS."""
    from dkimkeys import fixture_keys

    from verifier.recognise import dkimcheck

    previous = dkimcheck.set_key_lookup(fixture_keys())
    yield
    dkimcheck.set_key_lookup(previous)


@pytest.fixture(autouse=True)
def offline_dkim_keys() -> Iterator[object]:
    """No test asks real DNS for DKIM keys: only the fixtures' test key is published."""
    from dkimkeys import fixture_keys

    from verifier.recognise import dkimcheck
    keys = fixture_keys()
    previous = dkimcheck.set_key_lookup(keys)
    yield keys
    dkimcheck.set_key_lookup(previous)


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every byte the client sends to the IMAP server (after TLS is unwrapped), to assert on the conversation."""
    import imaplib

    record: list[bytes] = []
    original = imaplib.IMAP4.send

    def recording_send(self, data: bytes) -> None:
        record.append(bytes(data))
        original(self, data)

    monkeypatch.setattr(imaplib.IMAP4, "send", recording_send)
    return record
