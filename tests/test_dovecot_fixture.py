"""Quick checks that the real-Dovecot test fixture behaves as documented."""

from __future__ import annotations

import contextlib
import imaplib
import ssl
import time
from collections.abc import Iterator

import pytest
from conftest import require_dovecot
from dovecot_server import DovecotServer
from imapclient import IMAPClient

pytestmark = pytest.mark.slow  # end to end: real servers and subprocesses

MAIL = (
    b"From: Hiram Otis <otis@example.org>\r\n"
    b"To: lord.canterville@outlook.de\r\n"
    b"Subject: %s\r\n"
    b"Message-ID: <%s@example.org>\r\n"
    b"Date: Mon, 01 Jan 2024 10:00:00 +0000\r\n"
    b"\r\n"
    b"The ghost is real.\r\n"
)


def mail(ident: str) -> bytes:
    return MAIL % (ident.encode(), ident.encode())


@pytest.fixture
def server_factory() -> Iterator[type[DovecotServer]]:
    require_dovecot()
    made: list[DovecotServer] = []

    class Factory(DovecotServer):
        def __init__(self, **kwargs: object) -> None:
            super().__init__(**kwargs)  # type: ignore[arg-type]
            made.append(self)

    yield Factory
    for server in made:
        server.cleanup()


def ctx(server: DovecotServer) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(server.ca_file))


def test_start_to_greeting_is_fast(dovecot: DovecotServer) -> None:
    assert dovecot.start_seconds is not None
    print(f"dovecot start-to-greeting: {dovecot.start_seconds * 1000:.1f} ms")
    assert dovecot.start_seconds < 10


def test_login_imaps_with_ca(dovecot: DovecotServer) -> None:
    with IMAPClient(dovecot.host, port=dovecot.imaps_port, ssl=True, ssl_context=ctx(dovecot)) as client:
        client.login(dovecot.user, dovecot.password)
        assert client.select_folder("INBOX")[b"EXISTS"] == 0


def test_login_imaps_by_localhost_name(dovecot: DovecotServer) -> None:
    with IMAPClient("localhost", port=dovecot.imaps_port, ssl=True, ssl_context=ctx(dovecot)) as client:
        client.login(dovecot.user, dovecot.password)


def test_login_starttls(dovecot: DovecotServer) -> None:
    with IMAPClient(dovecot.host, port=dovecot.imap_port, ssl=False) as client:
        assert b"STARTTLS" in client.capabilities()
        client.starttls(ctx(dovecot))
        client.login(dovecot.user, dovecot.password)
        assert client.select_folder("INBOX")[b"EXISTS"] == 0


def test_wrong_password_rejected(dovecot: DovecotServer) -> None:
    with (
        IMAPClient(dovecot.host, port=dovecot.imaps_port, ssl=True, ssl_context=ctx(dovecot)) as client,
        pytest.raises(Exception, match=r"(?i)authentication failed"),
    ):
        client.login(dovecot.user, "wrong")


def test_special_use_junk_listed(dovecot: DovecotServer) -> None:
    with dovecot.client() as client:
        folders = {name: flags for flags, _sep, name in client.list_folders()}
        assert b"\\Junk" in folders["Junk"]
        assert client.find_special_folder(b"\\Junk") == "Junk"
        assert client.namespace().personal[0][1] == "/"


def test_delivered_mail_visible(dovecot: DovecotServer) -> None:
    dovecot.deliver(mail("inbox-1"))
    dovecot.deliver(mail("junk-1"), folder="Junk", flags="S")
    dovecot.deliver(mail("archived"), folder="Archive/2024", flags="SF", mtime=1e9)
    assert dovecot.flags("INBOX") == {"<inbox-1@example.org>": set()}
    assert dovecot.flags("Junk") == {"<junk-1@example.org>": {"\\Seen"}}
    assert dovecot.flags("Archive/2024") == {"<archived@example.org>": {"\\Seen", "\\Flagged"}}
    with dovecot.client() as client:
        client.select_folder("Junk", readonly=True)
        (msg,) = client.fetch(client.search("ALL"), ["ENVELOPE"]).values()
        assert msg[b"ENVELOPE"].subject == b"junk-1"
        client.select_folder("Archive/2024", readonly=True)
        (msg,) = client.fetch(client.search("ALL"), ["INTERNALDATE"]).values()
        assert msg[b"INTERNALDATE"].timestamp() == pytest.approx(1e9)
        assert client.find_special_folder(b"\\Sent") is None  # not auto-created


def test_flags_readback_does_not_change_flags(dovecot: DovecotServer) -> None:
    dovecot.deliver(mail("unseen"))
    before = dovecot.flags()
    assert dovecot.flags() == before == {"<unseen@example.org>": set()}


def test_deliver_many_is_fast(dovecot: DovecotServer) -> None:
    started = time.monotonic()
    count = dovecot.deliver_many((mail(f"bulk-{i}"), "Junk" if i % 2 else "INBOX") for i in range(2000))
    elapsed = time.monotonic() - started
    print(f"deliver_many(2000): {elapsed * 1000:.0f} ms")
    assert count == 2000
    with dovecot.client() as client:
        assert client.folder_status("INBOX", [b"MESSAGES"])[b"MESSAGES"] == 1000
        assert client.folder_status("Junk", [b"MESSAGES"])[b"MESSAGES"] == 1000


def test_junk_without_special_use(server_factory: type[DovecotServer]) -> None:
    server = server_factory(junk_folder="Spamverdacht", junk_special_use=False)
    server.start()
    server.deliver(mail("spam"), folder="Spamverdacht")
    with server.client() as client:
        folders = {name: flags for flags, _sep, name in client.list_folders()}
        assert "Spamverdacht" in folders
        assert b"\\Junk" not in folders["Spamverdacht"]
        assert client.find_special_folder(b"\\Junk") is None
    assert list(server.flags("Spamverdacht")) == ["<spam@example.org>"]


def test_no_starttls_server(server_factory: type[DovecotServer]) -> None:
    server = server_factory(starttls=False)
    server.start()
    with IMAPClient(server.host, port=server.imap_port, ssl=False) as client:
        assert b"STARTTLS" not in client.capabilities()
    plain = imaplib.IMAP4(server.host, server.imap_port)
    try:
        with pytest.raises(imaplib.IMAP4.error):
            plain.starttls(ctx(server))
    finally:
        plain.shutdown()
    # implicit TLS still works on the same server
    with server.client(tls=True) as client:
        client.select_folder("INBOX")


def test_wrong_host_cert_fails_verification(
    server_factory: type[DovecotServer],
) -> None:
    server = server_factory(wrong_cert=True)
    server.start()
    with pytest.raises(ssl.SSLCertVerificationError):
        IMAPClient(server.host, port=server.imaps_port, ssl=True, ssl_context=ctx(server))
    plain = IMAPClient(server.host, port=server.imap_port, ssl=False)
    with pytest.raises(ssl.SSLCertVerificationError):
        plain.starttls(ctx(server))
    with contextlib.suppress(OSError):
        plain.shutdown()


def test_restart_keeps_mail(dovecot: DovecotServer) -> None:
    dovecot.deliver(mail("persist"), folder="Junk")
    client = dovecot.client()
    client.select_folder("Junk")
    ports = (dovecot.imap_port, dovecot.imaps_port)
    started = time.monotonic()
    dovecot.restart()
    print(f"restart: {(time.monotonic() - started) * 1000:.1f} ms")
    assert (dovecot.imap_port, dovecot.imaps_port) == ports
    with pytest.raises((OSError, IMAPClient.AbortError, IMAPClient.Error)):
        client.noop()
    assert list(dovecot.flags("Junk")) == ["<persist@example.org>"]


def test_log_text(dovecot: DovecotServer) -> None:
    with dovecot.client():
        pass
    assert "starting up" in dovecot.log_text()
    assert f"user=<{dovecot.user}>" in dovecot.log_text()
