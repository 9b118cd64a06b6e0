"""Proof reports: the PDF/A-3b carries the originals byte for byte, Markdown stays inert, the deadline context."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from helpers import run, write_config
from mailbuilder import DE_CONFIRMATION, mail

from verifier.deadlines import Campaign, deadline_note
from verifier.model import Kind, Trust
from verifier.report import Evidence

GROUPS = ("Privat", "Bello", "Verein")


def _need(tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} not installed: apt-get install poppler-utils")


@pytest.fixture(scope="module")
def demo_pdf(demo_proofs: dict[str, Path]) -> tuple[Path, dict]:
    """The demo's English PDF proof and its JSON twin (conftest makes them once per run)."""
    return demo_proofs["en.pdf"], json.loads(demo_proofs["en.json"].read_text(encoding="utf-8"))


def test_embedded_originals_extract_byte_identical(demo_pdf):
    from pypdf import PdfReader

    pdf, document = demo_pdf
    attachments = PdfReader(pdf).attachments
    records = document["evidence_records"]
    # two confirmations and the 2024 code mail (Privat's earlier evidence)
    assert len(records) == 3 and set(attachments) == {r["file"] for r in records} | {"verification-record.json"}
    demo = Path(__file__).resolve().parent.parent / "fixtures" / "demo" / "Maildir"
    originals = {hashlib.sha256(p.read_bytes()).hexdigest() for p in demo.rglob("*") if p.is_file()}
    for record in records:
        [data] = attachments[record["file"]]
        assert hashlib.sha256(data).hexdigest() == record["sha256"] and record["sha256"] in originals
    embedded = json.loads(attachments["verification-record.json"][0])
    assert [r["sha256"] for r in embedded["evidence_records"]] == [r["sha256"] for r in records]
    text = _pdf_text(pdf)
    assert all(r["sha256"] in text for r in records)  # the hashes the report prints are the attachments' hashes
    sidecar = pdf.with_name(pdf.name + ".sha256").read_text().split()
    assert sidecar == [hashlib.sha256(pdf.read_bytes()).hexdigest(), pdf.name]


def test_pdf_declares_pdf_a_3b_and_marks_the_originals_as_source(demo_pdf):
    from pypdf import PdfReader

    reader = PdfReader(demo_pdf[0])
    xmp = reader.xmp_metadata
    assert xmp is not None
    raw = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert re.search(r"pdfaid:part(>|=\")3", raw) and re.search(r"pdfaid:conformance(>|=\")B", raw)
    relationships = {
        spec.get_object()["/F"]: spec.get_object()["/AFRelationship"] for spec in reader.trailer["/Root"]["/AF"]
    }
    assert relationships["verification-record.json"] == "/Data"
    assert sorted(v for k, v in relationships.items() if k.endswith(".eml")) == ["/Source"] * 3


def test_page_one_renders_and_names_every_group(demo_pdf, tmp_path: Path):
    _need("pdftoppm")
    subprocess.run(
        ["pdftoppm", "-r", "40", "-f", "1", "-l", "1", "-png", str(demo_pdf[0]), str(tmp_path / "p")], check=True
    )
    [png] = tmp_path.glob("p*.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    first = _pdf_text(demo_pdf[0], last_page=1)
    assert all(name in first for name in GROUPS)
    assert "Page 1 of" in first


def _pdf_text(pdf: Path, last_page: int | None = None) -> str:
    _need("pdftotext")
    pages = ["-l", str(last_page)] if last_page else []
    return subprocess.run(["pdftotext", *pages, str(pdf), "-"], capture_output=True, text=True, check=True).stdout


LONG_SUBJECT = "Dein Widerspruch gegen die Nutzung deiner Informationen für KI"  # 62 characters


def test_a_long_subject_and_a_300_line_mail_stay_on_the_page(tmp_path: Path):
    _need("pdftotext")
    body = DE_CONFIRMATION + "".join(f"Zeile {n}: Abschnitt über Datenschutz „Widerspruch“ € ✓\n" for n in range(300))
    body += "https://example.org/" + "x" * 180 + "\n"  # one unbreakable 200-character word
    (tmp_path / "mails").mkdir()
    (tmp_path / "mails" / "long.eml").write_bytes(mail(body, subject=LONG_SUBJECT, to="a" * 70 + "@example.org"))
    pdf = tmp_path / "long.pdf"
    result = run(
        "--config", str(write_config(tmp_path)), "check", "--mailbox", str(tmp_path / "mails"), "--report", str(pdf)
    )
    assert result.exit_code == 1, result.stderr
    text = _pdf_text(pdf)
    assert "Zeile 299" in text and "„Widerspruch“ € ✓" in text
    layout = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    page_width = float(re.search(r'<page width="([\d.]+)"', layout).group(1))
    right_edges = [float(x) for x in re.findall(r'xMax="([\d.]+)"', layout)]
    assert len(re.findall("<page ", layout)) >= 5
    assert max(right_edges) <= page_width - 18 / 25.4 * 72 + 1  # nothing runs into the right margin


def test_markdown_renders_mail_content_inert(tmp_path: Path):
    from markdown_it import MarkdownIt

    subject = "Widerspruch | `rm -rf` <script>alert(1)</script> [x](http://evil) www.evil.example"
    (tmp_path / "mails").mkdir()
    (tmp_path / "mails" / "a.eml").write_bytes(
        mail(DE_CONFIRMATION + "\n```\n<img src=x onerror=alert(1)>\n", subject=subject)
    )
    report = tmp_path / "proof.md"
    config = write_config(tmp_path)
    assert (
        run("--config", str(config), "check", "--mailbox", str(tmp_path / "mails"), "--report", str(report)).exit_code
        == 1
    )
    source = report.read_text(encoding="utf-8")
    html = MarkdownIt("commonmark").enable("table").render(source)
    assert "<script" not in html and "<img" not in html
    # the only links are the ones the report itself gives: Meta's objection forms, never one from the mail
    assert set(re.findall(r'<a href="([^"]*)"', html)) <= {"https://help.instagram.com/contact/233964459562201"}
    assert "evil" not in " ".join(re.findall(r"<a [^>]*>", html))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown, as text
    for table in re.findall(r"<table>.*?</table>", html, flags=re.DOTALL):
        for row in re.findall(r"<tr>.*?</tr>", table, flags=re.DOTALL):
            assert len(re.findall(r"<t[dh]", row)) in (2, 4)  # a `|` in a subject never adds a column
    assert "Privat" in source and "SHA-256" in source


def test_german_markdown_report_of_the_demo(tmp_path: Path):
    report = tmp_path / "nachweis.md"
    assert run("--lang", "de", "check", "--demo", "--report", str(report)).exit_code == 1
    text = report.read_text(encoding="utf-8")
    assert "## Privat: bestätigt" in text and "## Verein: fehlt" in text and "Was jetzt zu tun ist" in text
    assert "https://help.instagram.com/contact/233964459562201" in text
    assert "> Hallo lord.canterville," in text  # the confirmation, quoted in full


def test_an_unknown_report_suffix_is_a_usage_error(tmp_path: Path):
    result = run("check", "--demo", "--report", str(tmp_path / "proof.txt"))
    assert result.exit_code == 2 and "--format" in result.stderr and not (tmp_path / "proof.txt").exists()


def test_report_from_the_archive_alone(tmp_path: Path):
    archive = tmp_path / "evidence.sqlite"
    assert run("check", "--demo", "--archive", str(archive)).exit_code == 1
    out = tmp_path / "nachweis.md"
    result = run("--lang", "de", "report", str(out), "--demo", "--archive", str(archive))
    assert result.exit_code == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    assert "Privat: bestätigt" in text and "Verein: fehlt" in text and "vor dem 27.05.2025" in text
    assert (tmp_path / "nachweis.md.sha256").exists()
    missing = run("report", str(tmp_path / "x.pdf"), "--demo", "--archive", str(tmp_path / "none.sqlite"))
    assert missing.exit_code == 2 and "No evidence archive" in missing.stderr


def _confirmation(day: date) -> Evidence:
    return Evidence(
        message_id="<x>",
        folder="INBOX",
        sent_at=datetime(day.year, day.month, day.day, 9, tzinfo=UTC),
        sender="no-reply@mail.instagram.com",
        subject="s",
        kind=Kind.CONFIRMATION,
        trust=Trust.VERIFIED,
    )


CAMPAIGNS = (
    Campaign("2024", date(2024, 5, 22), paused_on=date(2024, 6, 14)),
    Campaign("2025", date(2025, 4, 14), training_start=date(2025, 5, 27)),
)


@pytest.mark.parametrize(
    ("days", "before", "earlier"),
    [
        ([date(2025, 5, 26)], True, None),
        ([date(2025, 5, 27)], False, None),
        ([date(2025, 6, 3), date(2025, 5, 1)], True, None),
        ([date(2024, 6, 2)], True, "2024"),
    ],
)
def test_deadline_context_uses_the_earliest_confirmation(days, before, earlier):
    note = deadline_note([_confirmation(d) for d in days], CAMPAIGNS)
    assert note.earliest_confirmation == min(days) and note.before is before and note.earlier_campaign == earlier
    assert note.reference == date(2025, 5, 27)


def test_deadline_context_without_a_confirmation_and_without_a_training_start():
    note = deadline_note([], CAMPAIGNS)
    assert note.earliest_confirmation is None and note.before is False
    assert deadline_note([_confirmation(date(2025, 6, 1))], CAMPAIGNS[:1]) is None


def test_a_new_campaign_in_the_data_moves_the_reference():
    later = (*CAMPAIGNS, Campaign("2027", date(2027, 1, 10), training_start=date(2027, 3, 1)))
    note = deadline_note([_confirmation(date(2025, 6, 1))], later)
    assert note.reference == date(2027, 3, 1) and note.before and note.earlier_campaign == "2025"


def test_proof_json_is_the_check_document_plus_records(demo_pdf):
    _, document = demo_pdf
    assert {"groups", "exit_code", "evidence_records"} <= document.keys()
    records = {r["kind"]: r for r in document["evidence_records"]}
    record = records["confirmation"]
    assert record["authenticity"]["dkim"][0]["d"] == "mail.instagram.com"
    assert record["authenticity"]["dkim_key_record"] is None
    assert document["groups"][0]["deadline"]["before"] is True


def test_an_unsigned_mail_never_reads_as_vouched_for_by_the_provider(tmp_path: Path):
    """The key row of a mail without a DKIM signature says so; "relies on your provider's result" would make a
    forgery that carries no check at all read as if a provider had vouched for it."""
    (tmp_path / "mails").mkdir()
    (tmp_path / "mails" / "a.eml").write_bytes(mail(DE_CONFIRMATION, message_id="<signed@mail.instagram.com>"))
    unsigned = mail(DE_CONFIRMATION, auth=None, signed=False, message_id="<unsigned@mail.instagram.com>")
    (tmp_path / "mails" / "b.eml").write_bytes(unsigned)
    report = tmp_path / "proof.md"
    config = write_config(tmp_path, {"username": "lord.canterville@outlook.de"})
    run("--config", str(config), "--lang", "en", "check", "--mailbox", str(tmp_path / "mails"), "--report", str(report))
    technical = report.read_text(encoding="utf-8").split("## Technical details", 1)[1].split("\n## ", 1)[0]
    signed_block, unsigned_block = (
        technical.split(f"<{name}@", 1)[1].split("### Mail", 1)[0] for name in ("signed", "unsigned")
    )
    assert "| **Public key of the signature** | none: the mail carries no DKIM signature |" in unsigned_block
    assert "relies on your provider" not in unsigned_block
    assert "no DKIM signature" not in signed_block and "DKIM signature" in signed_block
