"""Round trips against a real Dovecot: commands really go out together, only allowed ones can, a repeat run on an
unchanged mailbox examines no folder, and the shortcut never calls a deleted mail present (or a present one gone)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from dovecot_server import DovecotServer
from helpers import PASSWORD_ENV, imap_config, run_json, statuses
from mailbuilder import DE_CONFIRMATION, EN_CONFIRMATION, NOTIFICATION, mail
from relay import Relay

from verifier.sources.imappipe import ALLOWED, Pipe, ReadOnlyViolation, checked

FORBIDDEN = [
    "STORE 1 +FLAGS (\\Seen)",
    "UID STORE 1 +FLAGS (\\Deleted)",
    "EXPUNGE",
    "UID EXPUNGE 1",
    "COPY 1 Trash",
    "UID COPY 1 Trash",
    "MOVE 1 Trash",
    "UID MOVE 1 Trash",
    'APPEND INBOX {3}',
    "CREATE Evil",
    "DELETE Junk",
    "RENAME Junk Evil",
    "SELECT INBOX",
    "UID FETCH 1 (BODY[])",
    "UID FETCH 1 (UID BODY[1])",
    "UID FETCH 1 RFC822",
    "UID FETCH 1 (RFC822.TEXT)",
    "UID FETCH 1 (BINARY[1])",
    "FETCH 1 (BODY.PEEK[])",  # sequence numbers: not ours either
    "EXAMINE INBOX\r\nSTORE 1 +FLAGS (\\Seen)",  # smuggled in one line
    "AUTHENTICATE PLAIN",
]


@pytest.mark.parametrize("command", FORBIDDEN)
def test_the_allow_list_refuses_every_command_that_could_change_the_mailbox(command: str):
    with pytest.raises(ReadOnlyViolation):
        checked(command)


def test_nothing_of_a_batch_is_sent_when_one_command_is_not_allowed(dovecot: DovecotServer, sent):
    dovecot.deliver(mail(DE_CONFIRMATION), "INBOX")
    client = dovecot.client(tls=False)
    try:
        pipe = Pipe(client)
        sent.clear()
        with pytest.raises(ReadOnlyViolation):
            pipe.run(["EXAMINE INBOX", "UID FETCH 1 (BODY.PEEK[])", "UID STORE 1 +FLAGS (\\Seen)"])
        assert sent == []
        replies = pipe.run(["EXAMINE INBOX", "UID FETCH 1:* (UID BODY.PEEK[])"])  # the allowed form works
        assert all(reply.ok for reply in replies) and any(i.kind == b"FETCH" for i in replies[1].untagged)
        assert len(sent) == 1  # both in one write
    finally:
        client.logout()
    assert all("S" not in flags for flags in dovecot.flags("INBOX").values())


@pytest.fixture
def mailbox(dovecot: DovecotServer) -> DovecotServer:
    dovecot.deliver(mail(DE_CONFIRMATION), "Junk")
    dovecot.deliver(mail(EN_CONFIRMATION, user="bello.der.hund"), "INBOX")
    for _ in range(3):
        dovecot.deliver(mail(NOTIFICATION), "INBOX")
        dovecot.deliver(mail(NOTIFICATION), "Archive")
    return dovecot


def command_lines(sent: list[bytes]) -> list[bytes]:
    return [line for line in b"".join(sent).split(b"\r\n") if re.match(rb"[A-Z]+\d+ ", line)]


def verbs(lines: list[bytes]) -> set[str]:
    found = set()
    for line in lines:
        words = line.decode().split(" ")
        found.add(" ".join(words[1:3]).upper() if words[1].upper() == "UID" else words[1].upper())
    return found


def test_a_check_sends_only_allowed_commands_several_at_a_time(mailbox: DovecotServer, tmp_path: Path, sent):
    code, document = run_json("--config", str(imap_config(tmp_path, mailbox)), "check", env=PASSWORD_ENV)
    assert code == 1 and statuses(document)["Privat"] == "confirmed"
    lines = command_lines(sent)
    assert verbs(lines) - {"LOGIN"} <= set(ALLOWED), verbs(lines)
    assert not any(re.search(rb"\bBODY\[", line.upper()) for line in lines)
    assert any(len(command_lines([chunk])) >= 6 for chunk in sent)  # EXAMINE + SEARCH + FETCH for three folders
    assert b"CAPABILITY" not in b"".join(lines).upper()  # the login's answer announced them
    assert all("S" not in flags for folder in ("INBOX", "Junk") for flags in mailbox.flags(folder).values())


def test_a_repeat_run_on_an_unchanged_mailbox_examines_no_folder(mailbox: DovecotServer, tmp_path: Path, sent):
    config = str(imap_config(tmp_path, mailbox))
    run_json("--config", config, "check", env=PASSWORD_ENV)
    sent.clear()
    code, document = run_json("--config", config, "check", env=PASSWORD_ENV)
    assert code == 1 and statuses(document)["Privat"] == statuses(document)["Bello"] == "confirmed"
    assert verbs(command_lines(sent)) == {"LOGIN", "LIST", "LOGOUT"}  # one LIST-STATUS tells nothing changed
    evidence = [e for group in document["groups"] for e in group["evidence"] if e["kind"] == "confirmation"]
    assert evidence and not any(e["archived"] for e in evidence)  # both still in the mailbox


def test_a_mail_deleted_since_the_last_run_is_noticed_and_only_its_folder_is_examined(
    mailbox: DovecotServer, tmp_path: Path, sent
):
    config = str(imap_config(tmp_path, mailbox))
    run_json("--config", config, "check", env=PASSWORD_ENV)
    other = mailbox.client(tls=False)  # another mail program, not ours, deletes the confirmation in Junk
    other.select_folder("Junk")
    other.delete_messages(other.search(["ALL"]))
    other.expunge()
    other.logout()
    sent.clear()
    _, document = run_json("--config", config, "check", env=PASSWORD_ENV)
    examined = [line for line in command_lines(sent) if b" EXAMINE " in line]
    # no new mail anywhere (UIDNEXT unchanged): no scan; Junk lost one (MESSAGES): its presence is asked, alone
    assert [line.split(b" ", 2)[2] for line in examined] == [b'"Junk"']
    privat = next(g for g in document["groups"] if g["name"] == "Privat")
    assert [e["archived"] for e in privat["evidence"] if e["kind"] == "confirmation"] == [True]
    sent.clear()
    _, third = run_json("--config", config, "check", env=PASSWORD_ENV)  # unchanged again: answered from memory
    assert not any(b" EXAMINE " in line for line in command_lines(sent))
    privat = next(g for g in third["groups"] if g["name"] == "Privat")
    assert [e["archived"] for e in privat["evidence"] if e["kind"] == "confirmation"] == [True]


def test_new_mail_in_one_folder_costs_one_examine_which_also_asks_for_its_archived_mails(
    mailbox: DovecotServer, tmp_path: Path, sent
):
    config = str(imap_config(tmp_path, mailbox))
    run_json("--config", config, "check", env=PASSWORD_ENV)
    mailbox.deliver(b"From: Anna <anna@example.org>\r\nSubject: Morgen\r\n\r\nbis morgen\r\n", "INBOX")
    sent.clear()
    _, document = run_json("--config", config, "check", env=PASSWORD_ENV)
    lines = command_lines(sent)
    assert [line.split(b" ", 2)[2] for line in lines if b" EXAMINE " in line] == [b'"INBOX"']
    batch = next(chunk for chunk in sent if b"EXAMINE" in chunk)
    assert re.search(rb"UID SEARCH UID \d+\r\n", batch)  # the archived confirmation, asked in the same write
    bello = next(g for g in document["groups"] if g["name"] == "Bello")
    assert [e["archived"] for e in bello["evidence"] if e["kind"] == "confirmation"] == [False]


def test_a_repeat_run_costs_three_turns_and_a_first_run_six(mailbox: DovecotServer, tmp_path: Path):
    """Turns of the conversation (round trips waited for), counted by the relay: not a timing."""
    with Relay(mailbox.imap_port, latency=0.02) as relay:  # so that a LOGOUT not waited for is seen as such
        config = str(imap_config(tmp_path, mailbox, port=relay.port, tls="none"))
        run_json("--config", config, "check", env=PASSWORD_ENV)
        first = relay.counters.turns
        run_json("--config", config, "check", env=PASSWORD_ENV)
        repeat = relay.counters.turns - first
    # greeting, LOGIN, LIST-STATUS, EXAMINE+SEARCH+heads, text parts, whole mails; LOGOUT is not waited for
    assert first <= 6, first
    assert repeat <= 3, repeat


def test_the_fast_fetch_parser_reads_real_answers_exactly_as_imapclient(dovecot: DovecotServer):
    from hostile import deep_nesting, many_parts
    from imapclient.response_parser import parse_fetch_response

    from verifier.sources.imapparse import parse_fetch

    fixtures = sorted((Path(__file__).parent.parent / "fixtures" / "mails").glob("*.eml"))
    dovecot.deliver_many([(path.read_bytes(), "INBOX") for path in fixtures])
    dovecot.deliver_many([(many_parts(300), "INBOX"), (deep_nesting(60), "INBOX")])
    client = dovecot.client(tls=False)
    try:
        replies = Pipe(client).run([
            "EXAMINE INBOX",
            "UID FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)] BODYSTRUCTURE RFC822.SIZE)",
            "UID FETCH 1:* (UID BODY.PEEK[1] FLAGS INTERNALDATE)",
            "UID FETCH 1:* (UID BODY.PEEK[])",
        ])
    finally:
        client.logout()
    answers = [item for reply in replies[1:] for item in reply.untagged if item.kind == b"FETCH"]
    assert len(answers) == 3 * (len(fixtures) + 2)
    for item in answers:
        ours, theirs = parse_fetch(item.data), dict(parse_fetch_response(item.data, normalise_times=False))
        for data in theirs.values():
            data.pop(b"INTERNALDATE", None)  # imapclient makes a datetime of it; we never ask for it
        for data in ours.values():
            data.pop(b"INTERNALDATE", None)
        assert ours == theirs


@pytest.mark.parametrize(
    "garbage",
    [[b"1 (\x00\xff}{ GARBAGE )))"], [b"1 (UID 5 BODY[] {3}"], [(b"1 (UID"), b"5"], [b"1 (UID x)"], [b"x (UID 5)"]],
)
def test_the_fast_fetch_parser_refuses_garbage_with_a_protocol_error(garbage):
    from imapclient.exceptions import ProtocolError

    from verifier.sources.imapparse import parse_fetch

    with pytest.raises(ProtocolError):
        parse_fetch(garbage)


class PlainDovecot(DovecotServer):
    """A Dovecot that announces IMAP4rev1 without LIST-STATUS, SEARCHRES, CONDSTORE or ESEARCH, like many servers:
    the fallbacks (LIST, then every STATUS at once; heads in their own round trip) must give the same verdict."""

    CAPABILITIES = "IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SPECIAL-USE"

    def _write_config(self) -> None:
        super()._write_config()
        with open(self.config_file, "a", encoding="utf-8") as config:
            config.write(f"imap_capability = {self.CAPABILITIES}\n")


@pytest.mark.slow  # starts its own Dovecot (other capabilities / folder names)
def test_without_list_status_and_searchres_the_fallbacks_give_the_same_verdict(tmp_path: Path, sent):
    from conftest import require_dovecot

    require_dovecot()
    with PlainDovecot() as server:
        server.deliver(mail(DE_CONFIRMATION), "Junk")
        server.deliver(mail(EN_CONFIRMATION, user="bello.der.hund"), "INBOX")
        server.deliver(mail(NOTIFICATION), "Archive")
        config = str(imap_config(tmp_path, server))
        code, first = run_json("--config", config, "check", env=PASSWORD_ENV)
        lines = command_lines(sent)
        assert b"LIST-STATUS" not in b"".join(sent) and not any(b"RETURN" in line for line in lines)
        assert {"STATUS", "EXAMINE", "UID SEARCH", "UID FETCH"} <= verbs(lines)
        assert any(len([c for c in command_lines([chunk]) if b" STATUS " in c]) >= 3 for chunk in sent)
        assert statuses(first)["Privat"] == statuses(first)["Bello"] == "confirmed"
        sent.clear()
        again, second = run_json("--config", config, "check", env=PASSWORD_ENV)
        assert verbs(command_lines(sent)) == {"LOGIN", "LIST", "STATUS", "LOGOUT"}  # nothing new: no EXAMINE
        assert again == code and statuses(second) == statuses(first)


@pytest.mark.slow  # starts its own Dovecot (other capabilities / folder names)
def test_a_non_ascii_junk_folder_is_listed_examined_and_remembered(tmp_path: Path, sent):
    """Folder names travel in modified UTF-7 (RFC 3501 §5.1.3): LIST-STATUS, EXAMINE and the run's memory agree."""
    from conftest import require_dovecot

    require_dovecot()
    with DovecotServer(junk_folder="Unerwünscht", junk_special_use=False) as server:
        server.deliver(mail(DE_CONFIRMATION), "Unerwünscht")
        config = str(imap_config(tmp_path, server))
        _, first = run_json("--config", config, "check", env=PASSWORD_ENV)
        assert statuses(first)["Privat"] == "confirmed"
        assert b'EXAMINE "Unerw&APw-nscht"' in b"".join(sent)
        sent.clear()
        _, second = run_json("--config", config, "check", env=PASSWORD_ENV)
        assert not any(b" EXAMINE " in line for line in command_lines(sent))  # unchanged: not examined again
        privat = next(g for g in second["groups"] if g["name"] == "Privat")
        assert [e["folder"] for e in privat["evidence"]] == ["Unerwünscht"]
        assert [e["archived"] for e in privat["evidence"]] == [False]
