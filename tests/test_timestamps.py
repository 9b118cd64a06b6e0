"""Proof that outlives Meta's key rotation: the DKIM key kept as it was, RFC 3161 tokens from a real TSA on
127.0.0.1 (openssl ts -reply), checked by `archive verify` and by `openssl ts -verify`; tampering is reported."""

from __future__ import annotations

import functools
import sqlite3
import subprocess
from pathlib import Path

import pytest
from dkimkeys import TEST_KEY, TEST_SELECTOR, OfflineKeys, txt_record
from dnsserver import TestDNS
from helpers import GROUPS_TOML, run
from mailbuilder import DE_CONFIRMATION, mail
from tsa import TestTSA

from verifier.evidence.archive import Archive
from verifier.recognise import dkimcheck
from verifier.recognise.dnskey import resolver_lookup

META = lambda domain: domain.endswith("instagram.com")  # noqa: E731
KEY_NAME = f"{TEST_SELECTOR}._domainkey.mail.instagram.com."


@pytest.fixture
def tsa(tmp_path: Path):
    with TestTSA(tmp_path / "tsa") as server:
        yield server


@pytest.mark.parametrize("chain", [True, False])
def test_tokens_with_and_without_the_embedded_chain_validate(tmp_path: Path, chain: bool):
    """OpenSSL-based TSAs embed their chain in chain order (not DER's): the kept bytes stay exactly as they came."""
    from verifier.evidence.timestamps import check_token, request_token, trust_roots

    with TestTSA(tmp_path / "tsa", chain=chain) as server:
        _, answer = request_token(server.url, b"a mail")
    verified = check_token(answer, b"a mail", trust_roots(str(server.ca_file)))
    assert verified.tsa == "CN=verifier test TSA" and len(verified.chain) == 2
    (tmp_path / "m").write_bytes(b"a mail")
    (tmp_path / "m.tsr").write_bytes(answer)
    done = subprocess.run(["openssl", "ts", "-verify", "-in", "m.tsr", "-data", "m", "-CAfile", str(server.ca_file)],
                          cwd=tmp_path, capture_output=True, text=True, check=False)
    assert "Verification: OK" in done.stdout, done.stderr


def signed_mail(message_id: str = "<c1@mail.instagram.com>") -> bytes:
    """A confirmation with a real DKIM signature by the fixtures' test key (published by conftest's offline table)."""
    import dkim

    raw = mail(DE_CONFIRMATION, message_id=message_id, signed=False)
    headers = [b"from", b"to", b"subject", b"date", b"message-id"]
    key = TEST_KEY.read_bytes()
    return dkim.sign(raw, TEST_SELECTOR.encode(), b"mail.instagram.com", key, include_headers=headers) + raw


def _setup(tmp_path: Path, url: str, ca_file: Path | str = "") -> tuple[Path, Path, Path]:
    box = tmp_path / "box"
    if not box.exists():  # signing again would make new bytes (t=): a second setup keeps the first mail
        box.mkdir()
        (box / "confirmation.eml").write_bytes(signed_mail())
    config = tmp_path / "config.toml"
    config.write_text(
        f'[archive]\ntimestamp_url = "{url}"\ntimestamp_ca_file = "{ca_file}"\n' + GROUPS_TOML, encoding="utf-8"
    )
    return box, config, tmp_path / "evidence.sqlite"


def _check(config: Path, box: Path, archive: Path, *more: str):
    return run("--config", str(config), "check", "--mailbox", str(box), "--archive", str(archive), *more)


def _verify(config: Path, archive: Path):
    return run("--config", str(config), "archive", "--archive", str(archive), "verify")


def test_the_key_is_kept_with_who_answered_and_the_dnssec_flag(tmp_path: Path):
    record = txt_record(TEST_KEY.read_bytes())
    raw = signed_mail("<k@mail.instagram.com>")
    for validated in (True, False):
        with TestDNS({KEY_NAME: record}, ad=validated) as dns:
            previous = dkimcheck.set_key_lookup(resolver_lookup(["127.0.0.1"], dns.port))
            try:
                [result] = dkimcheck.check_all(raw, META)
            finally:
                dkimcheck.set_key_lookup(previous)
        assert result.outcome is dkimcheck.DkimOutcome.PASS and result.selector == TEST_SELECTOR
        assert result.key is not None and result.key.name == KEY_NAME and result.key.text == record.decode()
        assert result.key.resolver == f"127.0.0.1:{dns.port}" and result.key.dnssec is validated
        assert dns.asked == [KEY_NAME]


def test_a_missing_record_and_a_dead_resolver_are_no_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    raw = signed_mail()
    with TestDNS({}) as dns:
        previous = dkimcheck.set_key_lookup(resolver_lookup(["127.0.0.1"], dns.port))
        try:
            [result] = dkimcheck.check_all(raw, META)
        finally:
            dkimcheck.set_key_lookup(previous)
    assert result.outcome is dkimcheck.DkimOutcome.NO_KEY and result.key is None
    # Nobody answering can only end in the timeout: what is proved is the outcome, not how long the tool waits.
    monkeypatch.setattr(dkimcheck, "DNS_TIMEOUT", 0.3)
    previous = dkimcheck.set_key_lookup(resolver_lookup(["127.0.0.1"], dns.port))  # closed now: nobody answers
    try:
        [result] = dkimcheck.check_all(raw, META)
    finally:
        dkimcheck.set_key_lookup(previous)
    assert result.outcome is dkimcheck.DkimOutcome.NO_KEY


def test_a_kept_mail_is_stamped_and_verifies_offline_after_the_key_is_gone(tmp_path: Path, tsa: TestTSA):
    box, config, archive = _setup(tmp_path, tsa.url, tsa.ca_file)
    result = _check(config, box, archive)
    assert result.exit_code in (0, 1), result.stderr
    assert "warning" not in result.stderr, result.stderr
    assert tsa.requests == 2  # one token over the mail, one over its evidence record
    with Archive.open(archive) as store:
        [record] = store.records()
        [key] = record.authenticity.dkim_keys
        assert (key.name, key.result, key.header_index) == (KEY_NAME, "pass", 0)
        assert record.authenticity.dkim_key_record == key.record
        assert [s.subject for s in store.stamps()] == ["mail", "record"]
    # Meta rotated the key: DNS no longer has it. The re-check uses the key as it was, with no DNS at all.
    previous = dkimcheck.set_key_lookup(OfflineKeys())
    try:
        verified = _verify(config, archive)
    finally:
        dkimcheck.set_key_lookup(previous)
    assert verified.exit_code == 0, verified.stdout
    still = f"DKIM signature of mail.instagram.com still verifies against the key as it was ({KEY_NAME}"
    assert still in verified.stdout
    assert verified.stdout.count("valid: existed at") == 2 and "CN=verifier test TSA" in verified.stdout
    assert "1 mail(s) checked, 0 altered, 0 timestamp(s) invalid, 0 not yet timestamped." in verified.stdout
    # a second run asks the TSA for nothing more
    _check(config, box, archive)
    assert tsa.requests == 2


@pytest.mark.slow  # a second Python process: the bundle README's DKIM line, run as written
def test_openssl_accepts_the_bundle(tmp_path: Path, tsa: TestTSA):
    box, config, archive = _setup(tmp_path, tsa.url, tsa.ca_file)
    _check(config, box, archive)
    bundle = tmp_path / "bundle"
    result = run("--config", str(config), "archive", "--archive", str(archive), "export", "1", "--bundle", str(bundle))
    assert result.exit_code == 0, result.stderr
    names = {p.name for p in bundle.iterdir()}
    assert {"mail.eml", "record.json", "dkim-key-1.txt", "mail.tsq", "mail.tsr", "record.tsq", "record.tsr",
            "tsa-chain.pem", "tsa-root.pem", "README.txt"} <= names
    readme = (bundle / "README.txt").read_text()
    commands = [line.strip() for line in readme.splitlines() if line.strip().startswith("openssl ts -verify")]
    assert len(commands) == 4
    for command in commands:
        done = subprocess.run(command, shell=True, cwd=bundle, capture_output=True, text=True, check=False)
        assert "Verification: OK" in done.stdout, (command, done.stderr)
    # the DKIM line of the README, run as written (dkimpy is what the tool uses too)
    [dkim_line] = [line.strip() for line in readme.splitlines() if line.strip().startswith("python3 -c")]
    python = str(Path(__import__("sys").executable))
    done = subprocess.run(dkim_line.replace("python3", python, 1).split("   #")[0], shell=True, cwd=bundle,
                          capture_output=True, text=True, check=False)
    assert done.stdout.strip() == "True", done.stderr
    # a changed mail fails openssl's check too
    (bundle / "mail.eml").write_bytes((bundle / "mail.eml").read_bytes().replace(b"Einspruch", b"Widerruf", 1))
    done = subprocess.run(commands[0], shell=True, cwd=bundle, capture_output=True, text=True, check=False)
    assert "Verification: FAILED" in done.stdout


@pytest.mark.parametrize("target", ["mail", "record", "token", "key", "time", "forged", "swapped"])
def test_tampering_is_reported(tmp_path: Path, tsa: TestTSA, target: str):
    box, config, archive = _setup(tmp_path, tsa.url, tsa.ca_file)
    _check(config, box, archive)
    db = sqlite3.connect(archive)
    if target == "forged":  # a token over the same mail from a TSA the user never trusted (the forger's own)
        from verifier.evidence.timestamps import request_token

        with TestTSA(tmp_path / "forger") as forger:
            _, answer = request_token(forger.url, (box / "confirmation.eml").read_bytes())
        db.execute("UPDATE timestamps SET token = ? WHERE subject = 'mail'", (answer,))
    if target == "swapped":  # the record's genuine token put in the mail's place
        record_token = db.execute("SELECT token FROM timestamps WHERE subject = 'record'").fetchone()[0]
        db.execute("UPDATE timestamps SET token = ? WHERE subject = 'mail'", (record_token,))
    if target == "time":  # the kept time moved back a year: the token says otherwise
        db.execute("UPDATE timestamps SET gen_time = '2025-01-01T00:00:00+00:00' WHERE subject = 'mail'")
    if target == "mail":
        raw = db.execute("SELECT raw FROM mails").fetchone()[0]
        db.execute("UPDATE mails SET raw = ?", (raw.replace(b"Einspruch", b"Widerruf", 1),))
    elif target == "record":
        db.execute("UPDATE mails SET record = replace(record, 'Deine Anfrage', 'Deine Abfrage')")
    elif target == "token":
        token = bytearray(db.execute("SELECT token FROM timestamps WHERE subject = 'mail'").fetchone()[0])
        token[-40] ^= 0x01  # inside the TSA's signature
        db.execute("UPDATE timestamps SET token = ? WHERE subject = 'mail'", (bytes(token),))
    elif target == "key":  # someone swaps the kept key for their own: the signature no longer verifies against it
        other = txt_record(_other_key())
        db.execute("UPDATE mails SET record = replace(record, ?, ?)", (txt_record(TEST_KEY.read_bytes()).decode(),
                                                                      other.decode()))
    db.commit()
    db.close()
    result = _verify(config, archive)
    assert result.exit_code == 1, result.stdout
    expected = {
        "mail": ["altered", "timestamp over the mail INVALID", "does NOT verify"],
        "record": ["timestamp over its evidence record INVALID"],
        "token": ["timestamp over the mail INVALID"],
        "key": ["does NOT verify", "timestamp over its evidence record INVALID"],
        "time": ["timestamp over the mail INVALID: the token names another time than the archive"],
        "forged": ["timestamp over the mail INVALID: the TSA's certificate does not lead to a trusted root"],
        "swapped": ["timestamp over the mail INVALID: the token is over other bytes"],
    }[target]
    for text in expected:
        assert text in result.stdout, result.stdout


@functools.cache  # a 2048-bit RSA key is slow to make; any key but the fixtures' does here, and bytes are immutable
def _other_key() -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def test_a_token_from_an_untrusted_tsa_is_not_accepted(tmp_path: Path, tsa: TestTSA):
    box, config, archive = _setup(tmp_path, tsa.url)  # no timestamp_ca_file: the test CA is in no system store
    result = _check(config, box, archive)
    assert "does not lead to a trusted root" in result.stderr and "Traceback" not in result.stderr
    with Archive.open(archive) as store:
        assert store.stamps() == [] and len(store.unstamped()) == 1


def test_the_timestamp_faults_are_worded_in_german(tmp_path: Path, tsa: TestTSA):
    box, config, archive = _setup(tmp_path, tsa.url)
    untrusted = _check(config, box, archive, "--lang", "de")
    assert "führt zu keiner vertrauenswürdigen Wurzel (setze [archive] timestamp_ca_file" in untrusted.stderr
    (tmp_path / "offline").mkdir()
    box, config, archive = _setup(tmp_path / "offline", "http://127.0.0.1:9/tsr", tsa.ca_file)
    offline = _check(config, box, archive, "--lang", "de")
    assert "Zeitstempeldienst http://127.0.0.1:9/tsr nicht erreichbar" in offline.stderr
    assert "beim nächsten Lauf ihren Zeitstempel" in offline.stderr


def test_without_network_the_check_goes_on_and_stamps_later(tmp_path: Path, tsa: TestTSA):
    box, config, archive = _setup(tmp_path, "http://127.0.0.1:9/tsr", tsa.ca_file)  # discard port: refused
    result = _check(config, box, archive, "--report", str(tmp_path / "offline.pdf"))
    assert result.exit_code in (0, 1) and "Privat" in result.stdout
    assert "not reachable" in result.stderr and "timestamped on the next run" in result.stderr
    assert "without a document timestamp" in result.stderr
    with Archive.open(archive) as store:
        assert len(store.unstamped()) == 1
    assert "1 not yet timestamped" in _verify(config, archive).stdout
    _setup(tmp_path, tsa.url, tsa.ca_file)  # the network is back: a report from the archive stamps what is missing
    result = run("--config", str(config), "report", str(tmp_path / "later.pdf"), "--archive", str(archive))
    assert result.exit_code == 0 and "warning" not in result.stderr, result.stderr
    assert tsa.requests == 3  # the mail's two tokens and the PDF's document timestamp
    assert _verify(config, archive).exit_code == 0
    _check(config, box, archive)
    assert tsa.requests == 3  # stamped once, never again


def test_bad_timestamp_settings_are_one_line_not_a_traceback(tmp_path: Path):
    box, config, archive = _setup(tmp_path, "ftp://tsa.example/", "")
    result = _check(config, box, archive)
    assert "must be an http:// or https:// URL" in result.stderr and "Traceback" not in result.stderr
    box, config, archive = _setup(tmp_path, "http://127.0.0.1:9/", tmp_path / "missing.pem")
    result = _check(config, box, archive)
    assert "timestamp_ca_file" in result.stderr and "Traceback" not in result.stderr


def test_init_turns_stamping_on_only_when_asked(tmp_path: Path, tsa: TestTSA):
    import tomllib

    base = ["init", "--non-interactive", "--skip-login", "--email", "lord.canterville@gmx.de",
            "--group", "Privat=lord.canterville"]
    plain = tmp_path / "plain.toml"
    assert run("--config", str(plain), *base).exit_code == 0
    assert "archive" not in tomllib.loads(plain.read_text())  # nothing is ever contacted without the user's word
    stamped = tmp_path / "stamped.toml"
    assert run("--config", str(stamped), *base, "--timestamp-url", tsa.url).exit_code == 0
    assert tomllib.loads(stamped.read_text())["archive"]["timestamp_url"] == tsa.url
    bad = run("--config", str(tmp_path / "bad.toml"), *base, "--timestamp-url", "tsa.example")
    assert bad.exit_code == 2 and "--timestamp-url must be an http" in bad.stderr


def test_only_metas_keys_are_asked_and_a_hostile_selector_is_never_shown_raw(tmp_path: Path):
    import dkim

    from verifier.evidence.record import kept_keys

    attacker_key = _other_key()
    raw = signed_mail()
    raw = dkim.sign(raw, b"track", b"attacker.example", attacker_key, include_headers=[b"from"]) + raw
    keys = OfflineKeys()
    keys.publish(TEST_SELECTOR, "mail.instagram.com", txt_record(TEST_KEY.read_bytes()))
    keys.publish("track", "attacker.example", txt_record(attacker_key))
    previous = dkimcheck.set_key_lookup(keys)
    try:
        kept = kept_keys(raw)
        # a selector with a terminal escape, and a key record carrying one: kept only as printable text
        evil = raw.replace(f"s={TEST_SELECTOR}".encode(), b"s=fix\x1b[2Jture", 1)
        keys.records["fix\x1b[2Jture._domainkey.mail.instagram.com."] = b"v=DKIM1; p=\x1b]0;owned\x07"
        [hostile] = kept_keys(evil)
    finally:
        dkimcheck.set_key_lookup(previous)
    assert [k.domain for k in kept] == ["mail.instagram.com"] and kept[0].result == "pass"
    assert not any("attacker" in name for name in keys.asked)  # the sender learns nothing from a kept mail
    assert hostile.result == "fail" and "\x1b" not in (hostile.name or "") + hostile.selector + (hostile.record or "")
    assert hostile.selector == "fix??2Jture" and hostile.record == "v=DKIM1; p=?]0;owned?"


def test_keeping_many_mails_asks_dns_once_per_key_and_a_dead_resolver_once(tmp_path: Path):
    from verifier.evidence.record import kept_keys

    keys = OfflineKeys()
    keys.publish(TEST_SELECTOR, "mail.instagram.com", txt_record(TEST_KEY.read_bytes()))
    previous = dkimcheck.set_key_lookup(keys)
    try:
        results = [kept_keys(signed_mail(f"<{n}@mail.instagram.com>")) for n in range(5)]
    finally:
        dkimcheck.set_key_lookup(previous)
    assert all(r[0].result == "pass" for r in results) and keys.asked == [KEY_NAME]
    calls: list[bytes] = []

    def unreachable(name: bytes, timeout: float = 3) -> bytes:
        calls.append(name)
        raise TimeoutError("no resolver")

    previous = dkimcheck.set_key_lookup(unreachable)
    try:
        results = [kept_keys(signed_mail(f"<{n}@mail.instagram.com>")) for n in range(5)]
    finally:
        dkimcheck.set_key_lookup(previous)
    assert all(r[0].result == "no_key" for r in results) and len(calls) == 1
