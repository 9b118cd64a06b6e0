"""Several mailboxes in one config ([[mailboxes]]), on two real Dovecot instances: one check reads them all, says
where each mail came from, and a mailbox that is down is that mailbox's error — never a "missing"."""

from __future__ import annotations

import json
import mailbox
import sqlite3
from pathlib import Path

import pytest
from conftest import require_dovecot
from dovecot_server import DovecotServer
from helpers import GROUPS_TOML, run, run_json, statuses
from mailbuilder import DE_CONFIRMATION, EN_CONFIRMATION, mail, sign

# GMX's Authentication-Results form is not known (no preset says it), so there a mail is verified by the tool's own
# DKIM check: really signed with the fixtures' test key, as Meta signs it.
PRIVAT = sign(
    mail(DE_CONFIRMATION, message_id="<privat@mail.instagram.com>", to="lord.canterville@gmx.de", auth=None,
         signed=False)
)
BELLO = mail(EN_CONFIRMATION, user="bello.der.hund", message_id="<bello@mail.instagram.com>")
VEREIN = mail(DE_CONFIRMATION, user="canterville.gespensterverein", message_id="<verein@mail.instagram.com>")


@pytest.fixture
def two() -> tuple[DovecotServer, DovecotServer]:
    """"Outlook" holds Bello's confirmation (INBOX), "GMX" Privat's (in Junk); both the same user name."""
    require_dovecot()
    with DovecotServer() as outlook, DovecotServer() as gmx:
        outlook.deliver(BELLO, "INBOX")
        gmx.deliver(PRIVAT, "Junk")
        yield outlook, gmx


def _imap(name: str, server: DovecotServer) -> str:
    return (
        f'[[mailboxes]]\nname = "{name}"\nhost = "127.0.0.1"\nport = {server.imaps_port}\ntls = "implicit"\n'
        f'username = "{server.user}"\npassword = "{server.password}"\nca_file = "{server.ca_file}"\ntimeout = 5\n'
    )


def _config(tmp_path: Path, *tables: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text("\n".join(tables) + GROUPS_TOML, encoding="utf-8")
    path.chmod(0o600)
    return path


def _by_name(document: dict) -> dict[str, dict]:
    return {group["name"]: group for group in document["groups"]}


@pytest.mark.slow  # two real Dovecots
def test_one_check_reads_both_and_says_where_each_mail_came_from(two, tmp_path: Path):
    outlook, gmx = two
    config = _config(tmp_path, _imap("Outlook", outlook), _imap("GMX", gmx))
    code, document = run_json("--config", str(config), "check")
    assert code == 1 and statuses(document) == {"Privat": "confirmed", "Bello": "confirmed", "Verein": "missing"}
    groups = _by_name(document)
    assert [(e["mailbox"], e["folder"]) for e in groups["Privat"]["evidence"]] == [("GMX", "Junk")]
    assert [(e["mailbox"], e["folder"]) for e in groups["Bello"]["evidence"]] == [("Outlook", "INBOX")]
    assert [(m["name"], m["error"]) for m in document["mailboxes"]] == [("Outlook", None), ("GMX", None)]
    assert "GMX: Junk" in document["folders"] and "Outlook: INBOX" in document["folders"]

    plain = run("--config", str(config), "--lang", "en", "check")
    assert "GMX: Junk" in plain.stdout and "Outlook: INBOX" in plain.stdout


@pytest.mark.slow  # two real Dovecots
def test_both_mailboxes_are_read_only(two, tmp_path: Path, sent):
    outlook, gmx = two
    before = (outlook.flags("INBOX"), gmx.flags("Junk"))
    start = len(sent)  # what the test's own look at the flags sent is not the tool's
    assert run_json("--config", str(_config(tmp_path, _imap("Outlook", outlook), _imap("GMX", gmx))), "check")[0] == 1
    lines = b"".join(sent[start:]).split(b"\r\n")
    words = {line.split()[1].upper() for line in lines if len(line.split()) > 1}
    words |= {line.split()[2].upper() for line in lines if line.split()[1:2] == [b"UID"]}
    assert not words & {b"STORE", b"EXPUNGE", b"COPY", b"MOVE", b"APPEND", b"CREATE", b"DELETE", b"RENAME", b"SELECT"}
    assert sum(line.split()[1:2] == [b"LOGIN"] for line in lines) == 2  # one login per mailbox
    assert (outlook.flags("INBOX"), gmx.flags("Junk")) == before  # not even \Seen


@pytest.mark.slow  # two real Dovecots
def test_a_mailbox_that_is_down_is_its_error_and_never_makes_a_group_missing(two, tmp_path: Path):
    outlook, gmx = two
    gmx.stop()
    config = _config(tmp_path, _imap("Outlook", outlook), _imap("GMX", gmx))
    result = run("--config", str(config), "--lang", "en", "check", "--json")
    document = json.loads(result.stdout)
    assert result.exit_code == 4 == document["exit_code"]
    assert "mailbox 'GMX'" in result.stderr and "Outlook" not in result.stderr
    # Bello's confirmation in the mailbox that answered still counts; the groups the dead mailbox might have
    # confirmed are not known — never "missing", which would send the user to object again
    assert statuses(document) == {"Privat": "unknown", "Bello": "confirmed", "Verein": "unknown"}
    failed = {m["name"]: m for m in document["mailboxes"]}
    assert failed["GMX"]["error"] and failed["GMX"]["exit_code"] == 4 and failed["Outlook"]["error"] is None

    text = run("--config", str(config), "--lang", "de", "check")
    assert text.exit_code == 4
    assert "Postfach „GMX“ konnte nicht gelesen werden" in text.stdout
    assert "fehlt" not in text.stdout.lower() and "unklar" in text.stdout

    report = tmp_path / "proof.md"
    run("--config", str(config), "--lang", "en", "check", "--report", str(report))
    markdown = report.read_text(encoding="utf-8")
    assert "Mailboxes read" in markdown and "GMX" in markdown and "unknown" in markdown
    quiet = run("--config", str(config), "--lang", "en", "check", "--quiet")  # cron: the error is never silent
    assert quiet.exit_code == 4 and "mailbox 'GMX'" in quiet.stderr
    pdf = tmp_path / "proof.pdf"
    assert run("--config", str(config), "check", "--report", str(pdf)).exit_code == 4 and pdf.stat().st_size > 0


@pytest.mark.slow  # two real Dovecots
def test_every_mailbox_keeps_its_own_resume_point(two, tmp_path: Path, private_archive: Path):
    outlook, gmx = two
    config = _config(tmp_path, _imap("Outlook", outlook), _imap("GMX", gmx))
    assert run_json("--config", str(config), "check")[0] == 1
    with sqlite3.connect(private_archive) as db:
        keys = sorted(row[0] for row in db.execute("SELECT source FROM scan_state"))
    # same user at the same address on both servers: the mailbox's name keeps their resume points apart
    assert len(keys) == 2 and keys[0].startswith("GMX: ") and keys[1].startswith("Outlook: ")

    gmx.deliver(VEREIN, "INBOX")  # new mail in one of them; the incremental run must see it
    quiet = run("--config", str(config), "--lang", "en", "check", "--quiet")  # cron: what is new, and where
    assert quiet.exit_code == 0 and "“GMX: INBOX”" in quiet.stdout
    code, document = run_json("--config", str(config), "check")
    assert code == 0 and set(statuses(document).values()) == {"confirmed"}
    verein = _by_name(document)["Verein"]["evidence"]
    assert [(e["mailbox"], e["archived"]) for e in verein] == [("GMX", False)]

    # GMX goes down: what the archive kept from it still counts, and the run says GMX could not be read
    gmx.stop()
    result = run("--config", str(config), "check", "--json")
    document = json.loads(result.stdout)
    assert result.exit_code == 4 and "mailbox 'GMX'" in result.stderr
    assert statuses(document) == {"Privat": "confirmed", "Bello": "confirmed", "Verein": "confirmed"}
    gmx_evidence = [e for g in document["groups"] for e in g["evidence"] if e["mailbox"] == "GMX"]
    assert gmx_evidence and not any(e["archived"] for e in gmx_evidence)  # down is not "no longer in the mailbox"


@pytest.mark.slow  # two real Dovecots
def test_proof_json_names_the_mailbox_of_every_evidence_record(two, tmp_path: Path):
    outlook, gmx = two
    config = _config(tmp_path, _imap("Outlook", outlook), _imap("GMX", gmx))
    report = tmp_path / "proof.json"
    run("--config", str(config), "check", "--report", str(report))
    records = json.loads(report.read_text(encoding="utf-8"))["evidence_records"]
    assert sorted((r["mailbox"], r["folder"]) for r in records) == [("GMX", "Junk"), ("Outlook", "INBOX")]
    assert all(r["source"].startswith(r["mailbox"] + ": ") for r in records)


@pytest.mark.slow  # a real Dovecot
def test_imap_section_and_a_local_mailbox_together(tmp_path: Path):
    require_dovecot()
    box = mailbox.Maildir(tmp_path / "Maildir")
    box.add(BELLO)
    with DovecotServer() as server:
        server.deliver(PRIVAT, "INBOX")
        imap = (
            f'[imap]\nhost = "127.0.0.1"\nport = {server.imaps_port}\ntls = "implicit"\nusername = "{server.user}"\n'
            f'password = "{server.password}"\nca_file = "{server.ca_file}"\n'
        )
        local = f'[[mailboxes]]\nmailbox = "maildir:{tmp_path / "Maildir"}"\n'
        config = _config(tmp_path, imap, local)
        code, document = run_json("--config", str(config), "check")
        assert code == 1 and statuses(document) == {"Privat": "confirmed", "Bello": "confirmed", "Verein": "missing"}
        names = [m["name"] for m in document["mailboxes"]]
        assert names == [server.user, f"maildir:{tmp_path / 'Maildir'}"]  # default names: username, the source
        # --mailbox NAME reads only that one (without the archive, which remembers the other's mail)
        _, only = run_json("--config", str(config), "check", "--mailbox", server.user, "--no-archive")
        assert statuses(only)["Bello"] == "missing" and statuses(only)["Privat"] == "confirmed"
        assert only["mailboxes"] == []


@pytest.mark.parametrize(
    ("table", "words"),
    [
        ('[[mailboxes]]\nmailbox = "maildir:/x"\nhost = "imap.gmx.net"\n', "not both"),
        ('[[mailboxes]]\nname = "x"\n', "needs username"),
        ('[[mailboxes]]\nname = "a"\nmailbox = "/x"\n[[mailboxes]]\nname = "a"\nmailbox = "/y"\n', "called 'a'"),
        ('[[mailboxes]]\nmailbox = "/x"\nhots = "typo"\n', "unknown key"),
    ],
)
def test_a_wrong_mailboxes_table_is_one_line_and_exit_2(tmp_path: Path, table: str, words: str):
    result = run("--config", str(_config(tmp_path, table)), "check")
    assert result.exit_code == 2 and words in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.slow  # two real Dovecots
def test_login_signs_in_to_the_named_mailbox(two, tmp_path: Path):
    outlook, gmx = two
    bad = "password_command = \"printf '%s' not-the-password-7f3a\""
    wrong = _imap("GMX", gmx).replace(f'password = "{gmx.password}"', bad)
    right = _imap("Outlook", outlook).replace(
        f'password = "{outlook.password}"', f"password_command = \"printf '%s' '{outlook.password}'\""
    )
    config = _config(tmp_path, right, wrong)
    refused = run("--config", str(config), "login", "--mailbox", "GMX")
    assert refused.exit_code == 3  # it asked GMX, with GMX's own password_command, not Outlook
    assert run("--config", str(config), "login", "--mailbox", "Outlook").exit_code == 0
    which = run("--config", str(config), "login")
    assert which.exit_code == 2 and "--mailbox NAME" in which.stderr
    unknown = run("--config", str(config), "login", "--mailbox", "Web")
    assert unknown.exit_code == 2 and "Outlook, GMX" in unknown.stderr


def test_an_unreadable_local_mailbox_is_that_mailboxs_error(tmp_path: Path):
    readable = mailbox.Maildir(tmp_path / "ok")
    readable.add(BELLO)
    locked = tmp_path / "locked"
    mailbox.Maildir(locked).add(PRIVAT)
    ok = f'[[mailboxes]]\nmailbox = "maildir:{tmp_path / "ok"}"\n'
    config = _config(tmp_path, ok, f'[[mailboxes]]\nname = "Stick"\nmailbox = "{locked}"\n')
    locked.rename(tmp_path / "unplugged")  # a USB stick that is not plugged in
    result = run("--config", str(config), "check", "--json")
    document = json.loads(result.stdout)
    assert result.exit_code == 2 and "mailbox 'Stick'" in result.stderr and "does not exist" in result.stderr
    assert statuses(document) == {"Privat": "unknown", "Bello": "confirmed", "Verein": "unknown"}


@pytest.mark.slow  # subprocesses and IDLE, like tests/test_watch.py
def test_watch_waits_on_every_mailbox(two, tmp_path: Path):
    from test_watch import finish, start_watch, wait_until_idling

    outlook, gmx = two  # Bello's confirmation is in Outlook, Privat's in GMX's Junk already
    config = _config(tmp_path, _imap("Outlook", outlook), _imap("GMX", gmx))
    process = start_watch(config, "--timeout", "60s")
    wait_until_idling(process, folders=4)  # INBOX and Junk of both
    gmx.deliver(VEREIN, "INBOX")
    code, stdout, stderr = finish(process)
    assert code == 0, stdout + stderr
    assert "“GMX: INBOX”" in stdout and "Verein: missing → confirmed" in stdout


@pytest.mark.slow  # subprocesses, two real Dovecots
def test_watch_with_a_mailbox_down_ends_with_its_error(two, tmp_path: Path):
    from test_watch import finish, start_watch

    outlook, gmx = two
    gmx.stop()
    config = _config(tmp_path, _imap("Outlook", outlook), _imap("GMX", gmx))
    process = start_watch(config, "--timeout", "3s")
    code, stdout, stderr = finish(process)
    assert code == 4, stdout + stderr
    assert "mailbox 'GMX'" in stderr and "No confirmation by" not in stdout  # not "nothing came": GMX was down


@pytest.mark.slow  # two real Dovecots
def test_a_repeat_run_over_several_mailboxes_examines_no_folder_nor_asks_for_archived_mails(two, tmp_path, sent):
    """Each mailbox's repeat run is LOGIN + one LIST-STATUS: the archived confirmations are known to be there."""
    outlook, gmx = two
    config = _config(tmp_path, _imap("Outlook", outlook), _imap("GMX", gmx))
    run_json("--config", str(config), "check")
    sent.clear()
    code, document = run_json("--config", str(config), "check")
    assert code == 1 and statuses(document)["Privat"] == statuses(document)["Bello"] == "confirmed"
    wire = b"".join(sent)
    assert b" EXAMINE " not in wire and b" SEARCH " not in wire and b" FETCH " not in wire
    evidence = [e for group in document["groups"] for e in group["evidence"] if e["kind"] == "confirmation"]
    assert evidence and not any(e["archived"] for e in evidence)
