"""Outlook for Windows' .msg files, read wherever a folder of .eml is: a real one from a public corpus
(fixtures/msg/), and one claiming to be Meta's confirmation, written here with extract-msg's own OLE writer.
A .msg no longer holds the bytes Meta signed: whatever its headers claim, it is never "verified"."""

from __future__ import annotations

import email
import json
import random
import sqlite3
from pathlib import Path

import extract_msg
from extract_msg.ole_writer import OleWriter
from helpers import run, run_json, statuses, write_config
from mailbuilder import DE_CONFIRMATION, EN_CONFIRMATION, mail

from verifier.model import CONVERTED_HEADER, Trust
from verifier.recognise.classify import classify_raw
from verifier.sources.msg import MsgError, msg_to_mail

PUBLIC = Path(__file__).resolve().parent.parent / "fixtures" / "msg" / "simple_test_msg.msg"  # see its README.md


def meta_msg(target: Path, raw: bytes) -> Path:
    """A .msg as Outlook would save this mail: its headers (Authentication-Results dkim=pass included) in the
    transport-headers property, subject and decoded text in their own properties; the signed bytes are gone."""
    source = extract_msg.openMsg(str(PUBLIC))
    writer = OleWriter()
    writer.fromMsg(source)
    source.close()
    head = raw.partition(b"\r\n\r\n")[0].decode("ascii")
    parsed = email.message_from_bytes(raw)
    writer.editEntry("__substg1.0_007D001E", data=(head + "\r\n\r\n").encode("cp1252"))  # PR_TRANSPORT_MESSAGE_HEADERS
    writer.editEntry("__substg1.0_0037001E", data=str(parsed["Subject"]).encode("cp1252"))  # PR_SUBJECT
    text = parsed.get_payload(decode=True).decode("utf-8")
    writer.editEntry("__substg1.0_1000001E", data=text.encode("cp1252"))  # PR_BODY
    writer.write(str(target))
    return target


def test_the_public_msg_file_is_read_like_an_eml(tmp_path: Path):
    converted = msg_to_mail(PUBLIC.read_bytes())
    assert converted == msg_to_mail(PUBLIC.read_bytes())  # the same file, the same bytes: archived once
    parsed = email.message_from_bytes(converted)
    assert parsed["Subject"].strip() == "test message" and "travis@overwrittenstack.com" in parsed["From"]
    assert parsed[CONVERTED_HEADER].startswith("outlook-msg")
    folder = tmp_path / "saved"
    folder.mkdir()
    (folder / "mail.msg").write_bytes(PUBLIC.read_bytes())
    code, document = run_json("--config", str(write_config(tmp_path, {})), "check", "--mailbox", str(folder))
    assert code == 1 and document["folders"] == ["saved"] and document["skipped"] == []


def test_a_msg_claiming_dkim_pass_is_never_verified(tmp_path: Path, private_archive: Path):
    folder = tmp_path / "Outlook"
    folder.mkdir()
    confirmation = mail(DE_CONFIRMATION, message_id="<msg-conf@mail.instagram.com>")
    meta_msg(folder / "Deine Anfrage.msg", confirmation)
    (folder / "bello.eml").write_bytes(mail(EN_CONFIRMATION, user="bello.der.hund"))  # .eml beside it: verifiable
    config = write_config(tmp_path, {})
    for _ in range(2):
        _, document = run_json("--config", str(config), "check", "--mailbox", str(folder))
        assert statuses(document) == {"Privat": "unverified", "Bello": "confirmed", "Verein": "missing"}
    privat = document["groups"][0]["evidence"][0]
    assert privat["trust"] == "unverified" and privat["message_id"] == "<msg-conf@mail.instagram.com>"
    assert any("rebuilt from a saved file (Outlook .msg)" in reason for reason in privat["reasons"])
    with sqlite3.connect(private_archive) as db:  # two runs, one record: the conversion is deterministic
        count = db.execute("SELECT count(*) FROM mails WHERE message_id = ?", ("<msg-conf@mail.instagram.com>",))
        assert count.fetchone()[0] == 1
    # the cap is what keeps it unverified: the same converted bytes without the mark would pass as verified
    converted = msg_to_mail((folder / "Deine Anfrage.msg").read_bytes())
    assert classify_raw(converted).trust is Trust.UNVERIFIED
    unmarked = b"\r\n".join(line for line in converted.split(b"\r\n") if not line.startswith(CONVERTED_HEADER.encode()))
    assert classify_raw(unmarked).trust is Trust.VERIFIED
    # and under --strict, an unverifiable confirmation still needs action
    assert run("--config", str(config), "check", "--mailbox", str(folder), "--strict").exit_code == 1


def test_inspect_reads_msg_files_too(tmp_path: Path):
    path = meta_msg(tmp_path / "conf.msg", mail(DE_CONFIRMATION))
    broken = tmp_path / "broken.msg"
    broken.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1nonsense")
    result = run("inspect", "--json", str(path), str(broken))
    first, second = json.loads(result.stdout)
    assert first["kind"] == "confirmation" and first["trust"] == "unverified"
    assert second["error"].startswith("not an Outlook .msg file") and result.exit_code == 2


def test_the_mark_can_only_lower_trust(tmp_path: Path):
    """A sender who writes the mark into a mail gains nothing: it lowers trust, never raises it."""
    forged = mail(DE_CONFIRMATION, auth=None, signed=False)
    marked = f"{CONVERTED_HEADER}: outlook-msg\r\n".encode() + forged
    assert classify_raw(forged).trust is Trust.UNVERIFIED and classify_raw(marked).trust is Trust.UNVERIFIED
    genuine = mail(DE_CONFIRMATION)
    assert classify_raw(genuine).trust is Trust.VERIFIED
    assert classify_raw(genuine.replace(b"\r\nFrom:", f"\r\n{CONVERTED_HEADER}: x\r\nFrom:".encode(), 1)).trust is (
        Trust.UNVERIFIED
    )


def test_a_broken_msg_is_skipped_with_its_reason_and_the_rest_is_read(tmp_path: Path):
    folder = tmp_path / "saved"
    folder.mkdir()
    (folder / "broken.msg").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)  # an OLE header, no more
    (folder / "bello.eml").write_bytes(mail(EN_CONFIRMATION, user="bello.der.hund"))
    # some programs save plain RFC 822 under .msg: that is the mail itself, read (and trusted) like an .eml
    (folder / "privat.MSG").write_bytes(mail(DE_CONFIRMATION))
    code, document = run_json("--config", str(write_config(tmp_path, {})), "check", "--mailbox", str(folder))
    assert statuses(document)["Bello"] == "confirmed" and statuses(document)["Privat"] == "confirmed" and code == 1
    assert [Path(why.split(":")[0]).name for why in document["skipped"]] == ["broken.msg"]
    assert "not an Outlook .msg file" in document["skipped"][0]


def test_damaged_msg_files_never_stop_a_check():
    """Bytes flipped and files cut short, as a hostile or broken attachment would be: a reason, never a crash."""
    data = PUBLIC.read_bytes()
    rng = random.Random(11)
    for attempt in range(60):
        damaged = bytearray(data)
        for _ in range(rng.choice([1, 10, 100])):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        if attempt % 3 == 0:
            damaged = damaged[: rng.randrange(len(damaged))]
        try:
            converted = msg_to_mail(bytes(damaged))
        except MsgError:
            continue
        assert converted.startswith(CONVERTED_HEADER.encode())  # whatever came out is still marked


def test_a_msg_without_transport_headers_keeps_subject_and_sender(tmp_path: Path):
    """Saved before sending, or by a tool that drops them: subject, sender, date and id come from the properties."""
    source = extract_msg.openMsg(str(PUBLIC))
    writer = OleWriter()
    writer.fromMsg(source)
    source.close()
    writer.deleteEntry("__substg1.0_007D001E")
    target = tmp_path / "no-headers.msg"
    writer.write(str(target))
    parsed = email.message_from_bytes(msg_to_mail(target.read_bytes()))
    assert parsed["Subject"].strip() == "test message" and "Travis Ferguson" in parsed["From"]
    assert parsed["Message-ID"] and parsed["Date"]
