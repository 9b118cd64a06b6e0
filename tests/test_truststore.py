"""The lazy CA store against a real Dovecot: CAs looked up from a hashed directory (SSL_CERT_DIR) during the handshake
instead of the whole bundle before it, the full store as a second try, and verification never weaker for it."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import ssl
import subprocess
from pathlib import Path

import pytest
from certs import make_ca, write_pem
from conftest import require_dovecot
from cryptography.hazmat.primitives import serialization
from dovecot_server import DovecotServer
from helpers import PASSWORD_ENV, imap_config, run, run_json

from verifier.config import ImapSettings
from verifier.errors import ConfigError, MailboxError
from verifier.signin.credentials import PasswordLogin
from verifier.sources import truststore
from verifier.sources.imapconn import ImapConnector
from verifier.sources.truststore import TrustStore, lazy_capath

FALLBACK = "did not verify against the CA directory"


def hashed_dir(directory: Path, *ca_files: Path) -> Path:
    """A CA directory as `openssl rehash` leaves it: each CA under its subject hash."""
    directory.mkdir()
    for ca_file in ca_files:
        digest = subprocess.run(
            ["openssl", "x509", "-hash", "-noout", "-in", str(ca_file)], capture_output=True, text=True, check=True
        ).stdout.strip()
        shutil.copy(ca_file, directory / f"{digest}.0")
    return directory


def other_ca(directory: Path) -> Path:
    """A CA that signed nothing the test server shows."""
    now = dt.datetime.now(dt.UTC)
    _, cert = make_ca("some other CA", now - dt.timedelta(days=1), now + dt.timedelta(days=30))
    path = directory / "other-ca.pem"
    write_pem(path, cert.public_bytes(serialization.Encoding.PEM))
    return path


@pytest.fixture
def lazy_env(monkeypatch: pytest.MonkeyPatch):
    """SSL_CERT_DIR set to the given directory and SSL_CERT_FILE unset (this machine's environment sets it), both for
    this process and for the CLI runs; returns the env for `run`."""

    def point_at(directory: Path) -> dict[str, str | None]:
        monkeypatch.setenv("SSL_CERT_DIR", str(directory))
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
        return {**PASSWORD_ENV, "SSL_CERT_DIR": str(directory), "SSL_CERT_FILE": None}

    return point_at


def connector(server: DovecotServer, **overrides: object) -> ImapConnector:
    settings = {"host": "127.0.0.1", "port": server.imaps_port, "tls": "implicit", "username": server.user}
    settings.update(overrides)
    return ImapConnector(ImapSettings(**settings, timeout=10), PasswordLogin(lambda: server.password))


def test_a_hashed_dir_with_the_ca_verifies_with_only_that_ca_loaded(dovecot: DovecotServer, tmp_path: Path, lazy_env):
    env = lazy_env(hashed_dir(tmp_path / "certs", dovecot.ca_file))
    imap = connector(dovecot)
    assert imap._ssl_context().cert_store_stats()["x509"] == 0  # nothing loaded before the handshake
    client = imap.connect()
    try:
        # the one CA the chain needed, found in the directory during the handshake: not a bundle of hundreds
        assert client._imap.sock.context.cert_store_stats() == {"x509": 1, "crl": 0, "x509_ca": 1}
    finally:
        client.logout()
    code, document = run_json("--config", str(imap_config(tmp_path, dovecot, ca_file="")), "check", env=env)
    assert code == document["exit_code"] == 1  # a verdict (nothing in the mailbox yet): the TLS check passed


@pytest.mark.parametrize("tls", ["implicit", "starttls"])
def test_a_ca_missing_from_dir_and_bundle_falls_back_once_then_is_exit_4(
    dovecot: DovecotServer, tmp_path: Path, lazy_env, sent, tls: str
):
    env = lazy_env(hashed_dir(tmp_path / "certs", other_ca(tmp_path)))
    port = dovecot.imaps_port if tls == "implicit" else dovecot.imap_port
    config = imap_config(tmp_path, dovecot, ca_file="", port=port, tls=tls)
    result = run("--debug", "--config", str(config), "check", env=env)
    assert result.exit_code == 4
    assert result.stderr.count(FALLBACK) == 1
    assert "could not be verified (unable to get local issuer certificate)" in result.stderr
    assert result.stdout == ""
    wire = b"".join(sent)
    assert b"LOGIN" not in wire.upper() and dovecot.password.encode() not in wire


def test_the_full_store_is_the_second_try_and_stays(dovecot: DovecotServer, tmp_path: Path, lazy_env):
    lazy_env(hashed_dir(tmp_path / "certs", other_ca(tmp_path)))
    imap = connector(dovecot)
    with pytest.raises(MailboxError, match="could not be verified"):
        imap.connect()
    # the lazy directory failed for this server: the next connection goes to the full store straight away
    assert not imap._trust.lazy
    assert imap._ssl_context().cert_store_stats()["x509_ca"] > 1


def test_the_full_store_recovers_a_ca_the_directory_lacks(
    dovecot: DovecotServer, tmp_path: Path, lazy_env, monkeypatch: pytest.MonkeyPatch, caplog
):
    # A distro whose hashed directory lacks a CA its full store has: the lazy store searches a directory without the
    # test CA, the full default store (SSL_CERT_DIR) holds it.
    lazy_env(hashed_dir(tmp_path / "full", dovecot.ca_file))
    sparse = hashed_dir(tmp_path / "sparse", other_ca(tmp_path))
    monkeypatch.setattr(truststore, "lazy_capath", lambda: str(sparse))
    caplog.set_level(logging.DEBUG, logger=truststore.__name__)
    imap = connector(dovecot)
    imap.connect().logout()
    assert caplog.text.count(FALLBACK) == 1 and str(sparse) in caplog.text
    # watch's IDLE connections start from what the first connection found out: no second failed handshake
    imap.sibling().connect().logout()
    assert caplog.text.count(FALLBACK) == 1


def test_ssl_cert_file_keeps_the_eager_default_store(dovecot: DovecotServer, tmp_path: Path, monkeypatch):
    # the directory alone would not verify: only the file the user named does
    monkeypatch.setenv("SSL_CERT_DIR", str(hashed_dir(tmp_path / "certs", other_ca(tmp_path))))
    monkeypatch.setenv("SSL_CERT_FILE", str(dovecot.ca_file))
    assert lazy_capath() is None
    imap = connector(dovecot)
    assert imap._ssl_context().cert_store_stats()["x509_ca"] == 1  # loaded before any handshake: the eager path
    imap.connect().logout()
    env = {**PASSWORD_ENV, "SSL_CERT_DIR": str(tmp_path / "certs"), "SSL_CERT_FILE": str(dovecot.ca_file)}
    code, _ = run_json("--config", str(imap_config(tmp_path, dovecot, ca_file="")), "check", env=env)
    assert code == 1


@pytest.mark.slow  # a real Dovecot, started here for its wrong certificate
def test_a_certificate_for_another_name_fails_with_the_lazy_store_too(tmp_path: Path, lazy_env):
    require_dovecot()
    with DovecotServer(wrong_cert=True) as server:
        env = lazy_env(hashed_dir(tmp_path / "certs", server.ca_file))  # the CA is trusted; the name is wrong
        imap = connector(server)
        with pytest.raises(MailboxError, match="could not be verified"):
            imap.connect()
        assert imap._trust.lazy  # no second try: no store can make the certificate name another host
        result = run("--config", str(imap_config(tmp_path, server, ca_file="")), "check", env=env)
    assert result.exit_code == 4
    assert "could not be verified (IP address mismatch" in result.stderr


def test_ca_file_is_trusted_on_top_of_the_lazy_store(dovecot: DovecotServer, tmp_path: Path, lazy_env):
    lazy_env(hashed_dir(tmp_path / "certs", other_ca(tmp_path)))
    imap = connector(dovecot, ca_file=str(dovecot.ca_file))
    assert imap._trust.lazy
    imap.connect().logout()
    assert imap._trust.lazy  # verified at the first try: no fallback was needed


def test_which_directories_count_as_lazy(tmp_path: Path, lazy_env, monkeypatch: pytest.MonkeyPatch):
    unhashed = tmp_path / "plain"
    unhashed.mkdir()
    (unhashed / "ca.pem").write_bytes(other_ca(tmp_path).read_bytes())
    (unhashed / "0123abcd.r0").write_text("a CRL's name, not a CA's")
    lazy_env(unhashed)
    assert lazy_capath() is None
    assert TrustStore().context().cert_store_stats()["x509_ca"] > 1  # today's default: the system bundle
    lazy_env(tmp_path / "missing")
    assert lazy_capath() is None
    hashed = hashed_dir(tmp_path / "hashed", other_ca(tmp_path))
    lazy_env(hashed)
    assert lazy_capath() == str(hashed)
    monkeypatch.setenv("SSL_CERT_FILE", "")  # set, even empty: the user's choice, left to OpenSSL
    assert lazy_capath() is None
    monkeypatch.setenv("SSL_CERT_FILE", str(other_ca(tmp_path)))  # a bundle of the user's own: eager
    assert lazy_capath() is None
    # the system's own bundle, as many shells and images export it (this machine's does): nothing chosen
    monkeypatch.setenv("SSL_CERT_FILE", ssl.get_default_verify_paths().openssl_cafile)
    assert lazy_capath() == str(hashed)


def test_a_bad_ca_file_is_still_a_config_error(tmp_path: Path, lazy_env):
    lazy_env(hashed_dir(tmp_path / "certs", other_ca(tmp_path)))
    broken = tmp_path / "broken.pem"
    broken.write_text("not a certificate")
    with pytest.raises(ConfigError, match="not a readable CA bundle"):
        TrustStore(str(broken)).context()
