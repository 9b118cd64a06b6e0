"""Shared pytest fixtures.  Dovecot-backed fixtures come first."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from dovecot_server import DovecotServer, dovecot_binary
from hypothesis import settings

# A run's outcome must not depend on examples saved by earlier runs or on chance: CI draws the same examples every
# time (failures found while developing are kept as explicit @example cases instead).
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("dev", database=None)
# The quick loop while editing (`-m "not slow"`, never on CI) draws a quarter of the examples; see examples() below.
settings.register_profile("quick", database=None, max_examples=25)
settings.load_profile("ci" if os.environ.get("CI") == "true" else "dev")


def pytest_configure(config: pytest.Config) -> None:
    """Before the test modules are imported, so their @settings see the profile."""
    if os.environ.get("CI") != "true" and config.option.markexpr.strip() == "not slow":
        settings.load_profile("quick")


def examples(full: int) -> int:
    """The example count for a property test that sets its own: ``full`` on CI and in every full run, a quarter (at
    least 10) in the quick subset, as the quick profile does for the default of 100."""
    return max(10, full // 4) if settings.get_current_profile_name() == "quick" else full


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
def dovecot_only_in_slow_tests(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The quick subset promises no real server. Only the `dovecot` fixture is marked by name below; a test that
    starts its own Dovecot (another config, two servers) fails here until it says @pytest.mark.slow itself."""
    if request.node.get_closest_marker("slow") is not None:
        return

    def refuse(self: DovecotServer) -> None:
        pytest.fail(f"{request.node.nodeid} starts a real Dovecot: mark it @pytest.mark.slow", pytrace=False)

    monkeypatch.setattr(DovecotServer, "start", refuse)


@pytest.fixture(autouse=True)
def no_retry_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reconnect at once: what the tests prove is that a reconnect happens and how often, not how long it waits."""
    import verifier.sources.imap

    monkeypatch.setattr(verifier.sources.imap, "RETRY_PAUSE", 0.0)


@pytest.fixture(autouse=True)
def forgotten_secrets() -> Iterator[None]:
    """Each test starts with no remembered secrets, as each run of the tool does: one test's password ("wrong", say)
    must not blank words in a later test's output."""
    from verifier.signin import secrets

    kept = set(secrets._known_secrets)
    secrets._known_secrets.clear()
    yield
    secrets._known_secrets.clear()
    secrets._known_secrets.update(kept)


@pytest.fixture(autouse=True)
def null_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test touches the real system keyring (slow, and the user's own): the null backend answers "nothing stored"
    in this process and in every subprocess a test starts. Tests that need a keyring install their own backend."""
    import keyring
    from keyring.backends import null

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    before = keyring.get_keyring()
    keyring.set_keyring(null.Keyring())
    yield
    keyring.set_keyring(before)


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


@pytest.fixture(scope="session")
def demo_proofs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The demo's proof as the tests read it ("de.pdf", "en.md", "en.json", ...), made once per run: a PDF takes
    about half a second to render and three test modules read the same ones. Read-only: copy one to change it."""
    from helpers import run

    folder = tmp_path_factory.mktemp("demo-proofs")
    proofs = {}
    for lang, suffix in (("de", "md"), ("de", "pdf"), ("en", "md"), ("en", "pdf"), ("en", "json")):
        path = folder / f"beleg-{lang}.{suffix}"
        result = run("check", "--demo", "--lang", lang, "--report", str(path))
        assert result.exit_code == 1, result.stderr
        path.chmod(0o444)
        proofs[f"{lang}.{suffix}"] = path
    return proofs


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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test that starts a real Dovecot is end-to-end and `slow`: `pytest -m "not slow"` is the quick loop while
    editing, CI runs everything. Tests that are slow for another reason (a wheel build, a subprocess) say so
    themselves with @pytest.mark.slow."""
    for item in items:
        if "dovecot" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
