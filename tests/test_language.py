"""The user's language throughout: every command's output and both reports, in German and in English, hold no text of
the other catalogue and no hard-coded words; library log lines stay out unless --debug. See language_check.py."""

from __future__ import annotations

import io
import logging
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import run
from language_check import corpus_of, language_leaks

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "fixtures" / "demo"
DEMO_MAILS = sorted((DEMO / "Maildir").rglob("*.demo*"))
ALLOWED = corpus_of([*DEMO_MAILS, DEMO / "config.toml"])


def _pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _outputs(tmp_path: Path, lang: str) -> dict[str, str]:
    """Every command a user meets, run with the language option placed after the command (where people type it)."""
    archive = str(tmp_path / "evidence.sqlite")
    demo_config = str(DEMO / "config.toml")
    pdf, md = tmp_path / "r1.pdf", tmp_path / "r2.md"
    from_archive_pdf, from_archive_md = tmp_path / "r3.pdf", tmp_path / "r4.md"
    runs = {
        "check": ["check", "--lang", lang, "--demo"],
        "check --report pdf": ["check", "--lang", lang, "--demo", "--archive", archive, "--report", str(pdf)],
        "check --report md": ["check", "--lang", lang, "--demo", "--archive", archive, "--report", str(md)],
        "check --quiet": ["check", "--lang", lang, "--demo", "--quiet"],
        "report pdf": ["report", str(from_archive_pdf), "--lang", lang, "--demo", "--archive", archive],
        "report md": ["report", str(from_archive_md), "--lang", lang, "--demo", "--archive", archive],
        "inspect": ["inspect", "--lang", lang, *map(str, DEMO_MAILS)],
        "archive list": ["archive", "list", "--lang", lang, "--archive", archive],
        "archive show": ["archive", "show", "1", "--lang", lang, "--archive", archive],
        "archive verify": ["archive", "verify", "--lang", lang, "--archive", archive],
        "archive export": [
            "archive",
            "export",
            "1",
            "--eml",
            str(tmp_path / "m.eml"),
            "--lang",
            lang,
            "--archive",
            archive,
        ],
        "watch": ["watch", "--lang", lang, "--demo", "--timeout", "1s"],
        "schedule": ["schedule", "--lang", lang, "-c", demo_config],
        "config check": ["config", "check", demo_config, "--lang", lang],
        # mistakes, each with its one line
        "no config": ["check", "--lang", lang, "-c", str(tmp_path / "none.toml")],
        "no archive": ["archive", "list", "--lang", lang, "--archive", str(tmp_path / "none.sqlite")],
        "bad report name": ["check", "--lang", lang, "--demo", "--report", str(tmp_path / "x.txt")],
        "bad timeout": ["watch", "--lang", lang, "--demo", "--timeout", "soon"],
        "unknown group": ["watch", "--lang", lang, "--demo", "--group", "Nope"],
        "no such mail": ["archive", "show", "99", "--lang", lang, "--archive", archive],
        "inspect unreadable": ["inspect", "--lang", lang, str(tmp_path / "none.eml"), str(tmp_path)],
        "export nowhere": ["archive", "export", "1", "--lang", lang, "--archive", archive],
        "no mailbox": ["check", "--lang", lang, "-c", demo_config, "--mailbox", f"maildir:{tmp_path / 'none'}"],
        "not a maildir": ["check", "--lang", lang, "-c", demo_config, "--mailbox", f"maildir:{tmp_path}"],
    }
    texts = {}
    for name, args in runs.items():
        result = run(*args)
        assert result.exit_code in (0, 1, 2), (name, result.stderr)
        texts[name] = result.stdout + result.stderr
    broken = tmp_path / "broken.toml"
    broken.write_text(
        '[imap]\nport = "x"\ntimeout = 0\nsince = "soon"\ntls = "maybe"\n[[groups]]\nname = "A"\nacounts = []\n'
        '[[groups]]\nname = ""\naccounts = []\n',
        encoding="utf-8",
    )
    texts["config problems"] = run("config", "check", str(broken), "--lang", lang).stderr
    texts["usage error"] = run("check", "--demoo", "--lang", lang).stderr
    for command in (
        [],
        ["check"],
        ["report"],
        ["inspect"],
        ["watch"],
        ["schedule"],
        ["archive"],
        ["archive", "show"],
        ["config"],
        ["config", "check"],
        ["login"],
        ["init"],
        ["help"],
    ):
        texts[f"help {' '.join(command)}"] = run("--lang", lang, *command, "--help").stdout
    texts["pdf"], texts["pdf from archive"] = _pdf_text(pdf), _pdf_text(from_archive_pdf)
    texts["md"], texts["md from archive"] = md.read_text("utf-8"), from_archive_md.read_text("utf-8")
    return texts


@pytest.mark.slow  # every command, twice over, and a pty
@pytest.mark.parametrize("lang", ["de", "en"])
def test_every_command_and_report_speaks_one_language(tmp_path: Path, lang: str):
    leaks = {
        name: found for name, text in _outputs(tmp_path, lang).items() if (found := language_leaks(text, lang, ALLOWED))
    }
    assert not leaks, leaks


@pytest.mark.slow  # every command, twice over, and a pty
@pytest.mark.parametrize("lang", ["de", "en"])
def test_no_library_log_line_in_any_output(tmp_path: Path, lang: str):
    for name, text in _outputs(tmp_path, lang).items():
        for library in ("dkimpy", "urllib3", "msal", "imapclient", "mailparser", " ERROR ", " WARNING "):
            assert library not in text, (name, library)


def test_the_check_catches_hard_coded_english(tmp_path: Path):
    """The detector itself: an English sentence in a German run is found, a quoted English mail is not."""
    assert language_leaks("verify-objection: report written to x.pdf", "de", ALLOWED)
    assert language_leaks("Geprüft: demo mailbox am 01.12.2026", "de", ALLOWED)
    assert language_leaks("Privat: confirmed", "de", ALLOWED)
    assert not language_leaks("Betreff: Your objection to the use of your information for AI at Meta", "de", ALLOWED)
    assert language_leaks("Privat: bestätigt", "en", ALLOWED)


def test_library_logging_reaches_the_terminal_only_with_debug(monkeypatch):
    from verifier.logs import setup_logging

    for debug in (False, True):
        stream = io.StringIO()
        monkeypatch.setattr(sys, "stderr", stream)
        setup_logging(verbose=True, debug=debug)
        logging.getLogger("dkimpy").error("missing public key: b's1024-2013-q3._domainkey.facebookmail.com.'")
        logging.getLogger("urllib3.connectionpool").warning("Retrying")
        logging.getLogger("msal.application").warning("token cache")
        logging.getLogger("imapclient.imaplib").error("> EXAMINE")
        logging.getLogger("verifier.sources.imap").info("connection lost; reconnecting")
        text = stream.getvalue()
        assert "reconnecting" in text  # our own lines still show with -v
        assert "missing public key" not in text or debug  # (recognise/dkimcheck.py quiets dkimpy even for --debug)
        for line in ("Retrying", "token cache", "EXAMINE"):
            assert (line in text) is debug, (debug, line)
    setup_logging(verbose=False, debug=False)


@pytest.mark.slow  # a subprocess
def test_inspect_with_an_unreachable_dkim_key_prints_no_library_line(tmp_path: Path):
    """A saved mail without the provider's verdict: our own DKIM check cannot fetch the key here (no network), and
    dkimpy's complaint about it stays out of the output; the reason says it in words."""
    from mailbuilder import DE_CONFIRMATION, mail

    raw = mail(DE_CONFIRMATION, auth=None)
    path = tmp_path / "a.eml"
    path.write_bytes(raw)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "verifier", "inspect", str(path), "--lang", "de"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "dkimpy" not in done.stderr and "ERROR" not in done.stderr and "WARNING" not in done.stderr
    assert not language_leaks(done.stdout + done.stderr, "de", corpus_of([path]))


def _pty_run(args: list[str], answers: list[str], env: dict[str, str]) -> str:
    """Run a command on a real pseudo-terminal and type the answers, one per prompt, as a person would."""
    main, secondary = pty.openpty()
    process = subprocess.Popen(args, stdin=secondary, stdout=secondary, stderr=secondary, env=env, close_fds=True)
    os.close(secondary)
    output, pending, deadline = b"", list(answers), time.monotonic() + 60
    answered = 0  # where the output stood at the last answer: answer only a prompt that came after it
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(main, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
            fresh = output[answered:].rstrip()
            if pending and fresh and fresh.endswith((b":", b"]", b"?")):
                os.write(main, pending.pop(0).encode() + b"\n")
                answered = len(output)
        elif process.poll() is not None:
            break
    process.wait(timeout=10)
    os.close(main)
    return output.decode("utf-8", "replace")


@pytest.mark.slow  # every command, twice over, and a pty
@pytest.mark.parametrize("lang", ["de", "en"])
def test_init_in_a_terminal_speaks_one_language(tmp_path: Path, lang: str):
    config = tmp_path / "config.toml"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HOME": str(tmp_path), "LANG": "C.UTF-8", "LANGUAGE": ""}
    args = [sys.executable, "-m", "verifier", "init", "--lang", lang, "-c", str(config), "--skip-login"]
    answers = ["lord.canterville@gmx.de", "", "pass show gmx", "Privat", "instagram:lord.canterville", ""]
    text = _pty_run(args, answers, env)
    assert config.exists(), text
    assert 'username = "lord.canterville"' in config.read_text() and 'password_command = "pass show gmx"' in (
        config.read_text()
    ), text  # every prompt got its answer: the run really went through the questions
    typed = "\n".join(answers)
    assert not language_leaks(text, lang, ALLOWED + typed), text


def test_german_speaks_in_one_voice_du():
    """Meta's own German mails say *du*; so does every German text here. A capitalised "Sie"/"Ihre" may be the
    formal voice even at a sentence's start ("Ihre Konten, z. B. …" was), so third person is written without it."""
    import re

    from language_check import _strings

    from verifier.i18n import catalogue

    formal = re.compile(r"\b(Sie|Ihnen|Ihr|Ihre|Ihren|Ihrem|Ihrer|Ihres)\b")
    assert not [text for text in _strings(catalogue("de")) if formal.search(text)]
    du = re.compile(r"\b(du|dein\w*|dich|dir)\b", flags=re.IGNORECASE)
    assert du.search(catalogue("de")["title"]) and du.search(catalogue("de")["step"]["missing"])


def test_german_help_covers_every_command_and_option_and_names_nothing_else():
    import click

    from verifier.cli.main import main
    from verifier.i18n import catalogue

    commands, options = catalogue("de")["help"], catalogue("de")["help_option"]
    used_commands, used_options = set(), set()

    def walk(command: click.Command, path: str) -> None:
        assert path in commands, f"no German help for {path}"
        used_commands.add(path)
        for param in command.params:
            if isinstance(param, click.Option) and param.help and param.name:
                key = f"{path}_{param.name}" if f"{path}_{param.name}" in options else param.name
                assert key in options, f"no German help for {path} --{param.name}"
                used_options.add(key)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, name if path == "main" else f"{path}_{name}")

    walk(main, "main")
    assert set(commands) == used_commands and set(options) == used_options  # no stale entries


@pytest.mark.slow  # two subprocesses on a pty
def test_init_asks_before_overwriting_in_german_and_takes_a_german_yes(tmp_path: Path):
    """click's own confirm shows "[y/N]" and takes only y/n: a German reader is asked "[j/N]" and may answer "ja"."""
    config = tmp_path / "config.toml"
    config.write_text("# mine\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HOME": str(tmp_path), "LANG": "de_DE.UTF-8", "LANGUAGE": ""}
    args = [sys.executable, "-m", "verifier", "init", "-c", str(config), "--skip-login"]
    refused = _pty_run(args, ["nein"], env)
    assert "Überschreiben? [j/N]" in refused and "gibt es schon; gib --force an" in refused, refused
    assert config.read_text(encoding="utf-8") == "# mine\n"
    answers = ["vielleicht", "ja", "lord.canterville@gmx.de", "", "pass show gmx", "Privat"]
    answers.append("instagram:lord.canterville")
    text = _pty_run(args, [*answers, ""], env)
    assert "Bitte antworte mit j (ja) oder n (nein)." in text, text  # an answer it cannot take is asked again
    assert 'username = "lord.canterville"' in config.read_text(encoding="utf-8"), text
    assert not language_leaks(text, "de", ALLOWED + "\n".join(answers)), text
