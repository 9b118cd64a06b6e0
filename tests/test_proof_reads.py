"""The proof as a lawyer or a data-protection authority reads it, the Markdown as a renderer shows it, and the screens
at a narrow terminal: what the reader sees, not how it is stored."""

from __future__ import annotations

import re
import subprocess
from html import unescape
from pathlib import Path

import pytest
from helpers import run, write_config
from mailbuilder import DE_CONFIRMATION, mail
from markdown_it import MarkdownIt


def _pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _seen(markdown: str) -> str:
    """The text a reader sees in the rendered Markdown (GitHub-like: tables, bare URLs linked)."""
    html = MarkdownIt("commonmark").enable("table").render(markdown)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


@pytest.fixture(scope="module")
def demo_reports(demo_proofs: dict[str, Path]) -> dict[str, str]:
    """The text of the demo's Markdown and PDF proofs (beleg-de.pdf, ...: conftest makes them once)."""
    return {
        key: path.read_text("utf-8") if key.endswith(".md") else _pdf_text(path)
        for key, path in demo_proofs.items()
        if key.endswith((".md", ".pdf"))
    }


def test_markdown_renders_dates_and_links_as_written(demo_reports):
    source = demo_reports["de.md"]
    seen = _seen(source)
    assert "\\" not in seen  # no stray backslash: not "\20.05.2025", not "https:\/\/"
    assert "https:\\/\\/" not in source and "\\20." not in source
    assert "vom 20.05.2025" in seen and "20.05.2025" in seen
    assert "https://help.instagram.com/contact/233964459562201" in seen


def test_markdown_subject_that_looks_like_a_list_is_shown_as_written(tmp_path: Path):
    (tmp_path / "mails").mkdir()
    (tmp_path / "mails" / "a.eml").write_bytes(mail(DE_CONFIRMATION, subject="20.05.2025 - https://evil.example/x"))
    report = tmp_path / "r.md"
    config = write_config(tmp_path)
    assert run("-c", str(config), "check", "--mailbox", str(tmp_path / "mails"), "--report", str(report)).exit_code == 1
    source = report.read_text("utf-8")
    seen = _seen(source)
    assert "20.05.2025 - https://evil.example/x" in seen
    rendered = MarkdownIt("gfm-like").render(source)  # linkify on, as GitHub does
    assert "evil.example" not in " ".join(re.findall(r'href="([^"]*)"', rendered))


def test_markdown_promises_no_attachments(demo_reports):
    for lang in ("de", "en"):
        text = demo_reports[f"{lang}.md"]
        for promise in (
            "an der PDF",
            "an diesem PDF",
            "dieses PDF enthält",
            "Angehängt als",
            "pdfdetach",
            "attached to",
            "this PDF carries",
            "Attached as",
        ):
            assert promise not in text, (lang, promise)
    assert "nur den Text, nicht die Originale" in demo_reports["de.md"]


def test_pdf_quotes_the_mail_as_written(demo_reports):
    text = " ".join(demo_reports["de.pdf"].split())
    assert "„wir erkennen deinen Einspruch an“" in text  # the mail's case; matched case-folded
    assert "einspruch an“" not in text
    assert "“will honour your objection”" in " ".join(demo_reports["en.pdf"].split())


def test_a_quote_is_found_across_case_line_breaks_and_typographic_apostrophes():
    from verifier.i18n import Texts, quoted_as_in

    t = Texts("en")
    mail_text = "Hi,\n\nWe\u2019ve reviewed your request and WILL HONOUR\nyour objection."
    assert quoted_as_in("we've reviewed your request", mail_text, t) == "“We\u2019ve reviewed your request”"
    assert quoted_as_in("will honour your objection", mail_text, t) == "“WILL HONOUR your objection”"
    assert "not quoted word for word" in quoted_as_in("no such words", mail_text, t)


def test_pdf_body_has_no_command_line_hints_and_names_its_own_file(demo_reports):
    for lang in ("de", "en"):
        text = " ".join(demo_reports[f"{lang}.pdf"].split())
        appendix_at = text.index("So prüfst du diese Datei" if lang == "de" else "How to check this file")
        body = text[:appendix_at]
        assert "--report" not in body and "pdfdetach" not in body and "sha256sum" not in body
        assert f"pdfdetach -saveall beleg-{lang}.pdf" in text[appendix_at:]  # the actual file name
        assert "nachweis.pdf" not in text and "proof.pdf" not in text


def test_pdf_dates_in_one_style_with_the_zone(demo_reports):
    text = demo_reports["de.pdf"]
    assert not re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", text)  # no ISO date beside 20.05.2025
    assert re.search(r"\d\d\.\d\d\.\d{4}, \d\d:\d\d:\d\d Uhr \([A-Z]{2,5}[+-]?\d*\)", text)
    assert "Bestätigung vom 20.05.2025" in text


def test_pdf_lists_under_a_status_only_the_mails_that_back_it(demo_reports):
    text = " ".join(demo_reports["de.pdf"].split())
    privat = text[text.index("Privat: bestätigt Konten") : text.index("Bello: bestätigt Konten")]
    assert "Einmalcode vom" not in privat and "Bestätigung vom 20.05.2025" in privat
    other = text[text.index("Weitere Mails von Meta") :]
    assert "Einmalcode vom 05.06.2024" in other[:2000]


def test_pdf_uses_plain_words_in_the_body_and_keeps_the_technical_details_for_the_appendix(demo_reports):
    text = " ".join(demo_reports["de.pdf"].split())
    body = text[: text.index("Technische Einzelheiten")]
    for jargon in ("(en)", "(de)", "Merkmal(en)", "signal(s)", "DKIM-Schlüssel", "d=", "bh=", "dkim=pass"):
        assert jargon not in body, jargon
    assert "dkim=pass" in text[text.index("Technische Einzelheiten") :]  # the provider's header, as it came
    assert "Mail-Anbieter hat beim Empfang geprüft" in body


def test_report_from_the_archive_names_the_mailbox_not_a_file(tmp_path: Path):
    archive = tmp_path / "e.sqlite"
    assert run("check", "--demo", "--archive", str(archive)).exit_code == 1
    out = tmp_path / "r.md"
    assert run("report", str(out), "--demo", "--archive", str(archive), "--lang", "de").exit_code == 0
    row = next(line for line in out.read_text("utf-8").splitlines() if line.startswith("| **Postfach**"))
    assert "Nachweis-Archiv (Mails aus das Demo-Postfach (lord.canterville@outlook.de))" in row
    assert str(archive) not in row


# ---- screens ---------------------------------------------------------------------------------------------------


def _rich_output(lang: str, width: int) -> str:
    import io

    from rich.console import Console

    from verifier.i18n import Texts
    from verifier.render.terminal import render_rich
    from verifier.scan import check
    from verifier.session import open_session

    session = open_session(None, None, True, interactive=False)
    outcome = check(session.open_source(), session.settings.groups, session.settings.imap.since)
    buffer = io.StringIO()
    render_rich(outcome.report, Texts(lang), Console(file=buffer, width=width, color_system=None))
    return buffer.getvalue()


def test_narrow_terminal_gets_a_readable_list_without_broken_words():
    text = _rich_output("de", 60)
    assert max(len(line) for line in text.splitlines()) <= 60
    assert "│" not in text and "┃" not in text  # no table
    words = set(re.findall(r"[\wäöüß.@-]+", text))
    assert "Kontenübersicht" not in text or "Kontenübersic" not in words
    for whole in ("lord.canterville.5", "no-reply@mail.instagram.com", "canterville.gespensterverein"):
        assert whole in text  # never split mid-token
    assert "Verein: fehlt" in text and "(Instagram)" in text and "(Facebook)" in text


def test_wide_terminal_keeps_the_table_and_capitalises_platforms():
    text = _rich_output("en", 140)
    assert "│" in text and "(Instagram)" in text and "(instagram)" not in text


def test_watch_names_only_the_groups_it_still_waits_for():
    # The first look is all this reads; the demo folder is polled every 2 s, so waiting longer could show nothing more.
    result = run("watch", "--demo", "--timeout", "0s", "--lang", "en")
    first = result.stdout.splitlines()[0]
    assert "Verein" in first and "Privat" not in first and "Bello" not in first
    assert "(verified)" not in result.stdout


def test_archive_show_is_readable_and_json_on_request(tmp_path: Path):
    archive = tmp_path / "e.sqlite"
    assert run("check", "--demo", "--archive", str(archive)).exit_code == 1
    shown = run("archive", "show", "1", "--archive", str(archive), "--lang", "de")
    assert shown.exit_code == 0 and "Art:" in shown.stdout and "Begründung:" in shown.stdout
    assert "Bestätigung" in shown.stdout and "{" not in shown.stdout
    assert run("archive", "show", "1", "--json", "--archive", str(archive)).stdout.lstrip().startswith("{")
