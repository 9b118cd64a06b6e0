"""Fault injection on the IMAP wire (a relay between the tool and a real Dovecot): every fault ends in a resumed,
correct scan or in exit 4 with one line, never in a verdict drawn from an incomplete scan, never in a hang."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from dovecot_server import DovecotServer
from helpers import PASSWORD_ENV, imap_config, run, statuses
from mailbuilder import DE_CONFIRMATION, EN_CONFIRMATION, NOTIFICATION, mail
from relay import Relay

pytestmark = pytest.mark.slow  # end to end: real servers and subprocesses

EXPECTED = {"Privat": "confirmed", "Bello": "confirmed", "Verein": "missing"}
TIMEOUT = 2  # imap.timeout for these tests, seconds


@pytest.fixture
def server(dovecot: DovecotServer) -> DovecotServer:
    dovecot.deliver(mail(DE_CONFIRMATION), "Junk")
    dovecot.deliver(mail(EN_CONFIRMATION, user="bello.der.hund"), "INBOX")
    for _ in range(5):
        dovecot.deliver(mail(NOTIFICATION), "INBOX")
    return dovecot


@pytest.fixture
def relay(server: DovecotServer):
    with Relay(server.imap_port) as plain_relay:
        yield plain_relay


def check_through(relay: Relay, server: DovecotServer, tmp_path: Path, **imap: object):
    settings = {"port": relay.port, "tls": "none", "timeout": TIMEOUT, **imap}
    config = imap_config(tmp_path, server, **settings)
    started = time.monotonic()
    result = run("--config", str(config), "check", "--json", env=PASSWORD_ENV)
    return result, time.monotonic() - started


def assert_no_verdict(result) -> None:
    assert result.exit_code == 4, result.output
    assert result.stdout == ""  # nothing that could be read as "missing"
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("fault", ["drop", "garbage", "huge-literal", "truncate"])
def test_one_fault_mid_fetch_is_survived_by_reconnecting(server, relay, tmp_path, fault):
    relay.inject(fault, trigger=rb"FETCH .*BODY\.PEEK\[\]", times=1)
    result, _ = check_through(relay, server, tmp_path)
    assert result.exit_code == 1, result.stderr
    assert statuses(json.loads(result.stdout)) == EXPECTED
    assert relay.counters.connections == 2


@pytest.mark.parametrize("fault", ["drop", "garbage", "huge-literal", "truncate"])
def test_a_persistent_fault_ends_in_exit_4_after_bounded_retries(server, relay, tmp_path, fault):
    before = {folder: server.flags(folder) for folder in ("INBOX", "Junk")}
    relay.inject(fault, trigger=rb"FETCH .*BODY\.PEEK\[\]")
    result, _ = check_through(relay, server, tmp_path)
    assert_no_verdict(result)
    assert relay.counters.connections == 3  # the first try and two reconnects, no more
    assert {folder: server.flags(folder) for folder in ("INBOX", "Junk")} == before


def test_a_stalled_server_is_given_up_after_the_timeout(server, relay, tmp_path):
    relay.inject("stall", trigger=rb"FETCH .*BODY\.PEEK\[\]")
    result, elapsed = check_through(relay, server, tmp_path)
    assert_no_verdict(result)
    assert "did not answer within" in result.stderr
    assert elapsed < 10 * TIMEOUT  # a hang guard, not a performance target


def test_a_stall_right_after_connecting_is_given_up_too(server, relay, tmp_path):
    relay.inject("stall")  # not even the greeting arrives
    result, elapsed = check_through(relay, server, tmp_path)
    assert_no_verdict(result)
    assert elapsed < 10 * TIMEOUT


def test_connection_closed_during_the_tls_handshake(server, tmp_path):
    with Relay(server.imaps_port) as tls_relay:
        tls_relay.inject("close-at-once")
        result, _ = check_through(tls_relay, server, tmp_path, tls="implicit")
    assert_no_verdict(result)


def test_starttls_stripped_by_a_man_in_the_middle_means_no_password_is_sent(server, relay, tmp_path):
    relay.inject("strip-starttls")
    result, _ = check_through(relay, server, tmp_path, tls="starttls")
    assert_no_verdict(result)
    assert "STARTTLS" in result.stderr
    assert not any(b"LOGIN" in command.upper() for command in relay.counters.commands)


def test_a_connection_dropped_in_the_middle_of_a_batch_is_exit_4_and_the_next_run_resumes(server, relay, tmp_path):
    # EXAMINE "Junk" travels with INBOX's EXAMINE, SEARCH and FETCH and Archive's: the drop cuts a batch's answers
    relay.inject("drop", trigger=rb'EXAMINE "Junk"')
    result, _ = check_through(relay, server, tmp_path)
    assert_no_verdict(result)
    assert relay.counters.connections == 3
    batch = [line for line in relay.counters.commands if re.match(rb"\w+ (EXAMINE|UID SEARCH|UID FETCH)", line)]
    assert len(batch) >= 6
    relay.fault = None
    result, _ = check_through(relay, server, tmp_path)
    assert result.exit_code == 1, result.stderr
    assert statuses(json.loads(result.stdout)) == EXPECTED


def test_one_drop_in_the_middle_of_a_batch_is_survived_by_reconnecting(server, relay, tmp_path):
    relay.inject("drop", trigger=rb"UID SEARCH RETURN", times=1)
    result, _ = check_through(relay, server, tmp_path)
    assert result.exit_code == 1, result.stderr
    assert statuses(json.loads(result.stdout)) == EXPECTED
    assert relay.counters.connections == 2
