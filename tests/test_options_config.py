"""Options where people type them, the language from the environment as GNU tools pick it, and config mistakes that
are named, all of them, instead of passing silently or hiding behind "and 1 more problem"."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import run, write_config

from verifier.i18n import default_language

ROOT = Path(__file__).resolve().parent.parent


# ---- options before and after the subcommand -------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["check", "--lang", "de", "--demo"],
        ["check", "--demo", "--lang", "DE"],
        ["--lang", "De", "check", "--demo"],
        ["check", "--demo", "--debug", "--lang", "de"],
        ["check", "-v", "--demo", "--lang", "de"],
    ],
)
def test_global_options_work_before_and_after_the_command(args: list[str]):
    result = run(*args)
    assert result.exit_code == 1, result.stderr  # Verein is missing: the verdict, not a usage error
    assert "Verein: FEHLT" in result.stdout


def test_the_option_after_the_command_wins():
    assert "Verein: MISSING" in run("--lang", "de", "check", "--demo", "--lang", "en").stdout


def test_config_after_the_command_and_short(tmp_path: Path):
    (tmp_path / "mails").mkdir()
    config = write_config(tmp_path, {})
    for args in (["check", "--config", str(config)], ["check", "-c", str(config)], ["-c", str(config), "check"]):
        result = run(*args, "--mailbox", str(tmp_path / "mails"), "--json")
        assert result.exit_code == 1 and '"Privat"' in result.stdout, (args, result.stderr)


def test_archive_option_on_archive_subcommands(tmp_path: Path):
    archive = tmp_path / "e.sqlite"
    assert run("check", "--demo", "--archive", str(archive)).exit_code == 1
    for args in (["archive", "list", "--archive", str(archive)], ["archive", "--archive", str(archive), "list"]):
        result = run(*args)
        assert result.exit_code == 0 and "3 mail(s)" in result.stdout, (args, result.stderr)
    assert run("archive", "verify", "--archive", str(archive)).exit_code == 0


def test_version_and_help_command():
    for flag in ("-V", "--version"):
        result = run(flag)
        assert result.exit_code == 0 and "verify-objection" in result.stdout
    whole = run("help")
    assert whole.exit_code == 0 and "Commands:" in whole.stdout
    check = run("help", "check")
    assert check.exit_code == 0 and "--mailbox" in check.stdout and "--lang" in check.stdout
    nested = run("help", "archive", "list")
    assert nested.exit_code == 0 and "--archive" in nested.stdout
    assert run("help", "nosuch").exit_code == 2


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"LANGUAGE": "de", "LANG": "en_US.UTF-8"}, "de"),  # LANGUAGE first, as GNU gettext
        ({"LANGUAGE": "fr:de", "LANG": "en_US.UTF-8"}, "de"),  # its first language we speak
        ({"LANGUAGE": "de"}, "de"),  # a bare container: no locale, LANGUAGE still meant
        ({"LANGUAGE": "de", "LC_ALL": "C"}, "en"),  # the C locale switches LANGUAGE off, as in GNU
        ({"LC_ALL": "de_AT.UTF-8", "LANG": "en_GB.UTF-8"}, "de"),
        ({"LC_MESSAGES": "en_US.UTF-8", "LANG": "de_DE.UTF-8"}, "en"),
        ({"LANG": "de_CH.UTF-8"}, "de"),
        ({"LANG": "fr_FR.UTF-8"}, "en"),
        ({}, "en"),
    ],
)
def test_language_from_the_environment(monkeypatch, env: dict[str, str], expected: str):
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(variable, raising=False)
    for variable, value in env.items():
        monkeypatch.setenv(variable, value)
    assert default_language() == expected


def test_language_variable_reaches_the_output():
    result = run("check", "--demo", env={"LANGUAGE": "de", "LANG": "en_US.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""})
    assert "Verein: FEHLT" in result.stdout


# ---- config ----------------------------------------------------------------------------------------------------

GROUPS_DUPLICATE = """
[[groups]]
name = "Privat"
accounts = [{ platform = "instagram", username = "lord.canterville" }]

[[groups]]
name = "privat "
accounts = [{ platform = "instagram", username = "bello.der.hund" }]

[[groups]]
name = "Verein"
accounts = [{ platform = "instagram", username = " Lord.Canterville" }]
"""


def test_duplicate_groups_and_an_account_in_two_groups_name_both_places(tmp_path: Path):
    config = write_config(tmp_path, {}, groups=GROUPS_DUPLICATE)
    result = run("config", "check", str(config))
    assert result.exit_code == 2
    assert "groups[2].name" in result.stderr and "groups[1]" in result.stderr  # the second and the first
    assert "groups[3].accounts[1]" in result.stderr and "Privat" in result.stderr
    assert "2 problems" in result.stderr
    german = run("config", "check", str(config), "--lang", "de").stderr
    assert "eine zweite Gruppe namens" in german and "steht schon in der Gruppe „Privat“" in german


def test_values_are_trimmed(tmp_path: Path):
    from verifier.config import load_settings

    config = write_config(tmp_path, {"username": " Lord.Canterville@GMail.com ", "host": " imap.gmail.com"})
    settings = load_settings(config)
    assert settings.imap.username == "Lord.Canterville@GMail.com" and settings.imap.host == "imap.gmail.com"
    from verifier.signin.providers import with_preset

    bare = write_config(tmp_path, {"username": "Lord.Canterville@GMail.com "})
    assert with_preset(load_settings(bare).imap).host == "imap.gmail.com"  # the domain compared regardless of case


def test_every_problem_is_listed_unknown_keys_first(tmp_path: Path):
    config = tmp_path / "c.toml"
    config.write_text(
        '[imap]\nport = "x"\n\n[[groups]]\nname = "A"\nacounts = [{ platform = "instagram", username = "a" }]\n',
        encoding="utf-8",
    )
    result = run("config", "check", str(config))
    assert result.exit_code == 2
    lines = [line.strip() for line in result.stderr.splitlines() if line.strip().startswith("- ")]
    assert len(lines) == 3, result.stderr
    assert lines[0].startswith("- groups[1].acounts: unknown key")
    assert any(line.startswith("- groups[1].accounts: missing") for line in lines)
    assert any(line.startswith("- imap.port:") for line in lines)
    assert "more problem" not in result.stderr


@pytest.mark.parametrize("content", [b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "x = 1".encode("utf-16")])
def test_a_binary_or_non_utf8_config_is_a_usage_error(tmp_path: Path, content: bytes):
    config = tmp_path / "c.toml"
    config.write_bytes(content)
    result = run("check", "-c", str(config))
    assert result.exit_code == 2 and "UTF-8" in result.stderr and "Traceback" not in result.stderr


def test_config_example_is_packaged_and_identical_to_the_root_file():
    from verifier.cli.configcmd import example_text

    root = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    assert example_text() == root, "verifier/data/config.example.toml must be a copy of config.example.toml"
    printed = run("config", "example")
    assert printed.exit_code == 0 and printed.stdout == root


def test_config_check_accepts_the_example_and_says_so(tmp_path: Path):
    result = run("config", "check", str(ROOT / "config.example.toml"))
    assert result.exit_code == 0 and "fine (2 group(s), 3 account(s))" in result.stdout


def test_no_hint_points_to_a_file_the_user_lacks(tmp_path: Path):
    from verifier.i18n import catalogue

    missing = run("check", "-c", str(tmp_path / "none.toml"))
    assert missing.exit_code == 2 and "verify-objection config example" in missing.stderr
    for lang in ("de", "en"):
        assert "config.example.toml" not in str(catalogue(lang))
    written = tmp_path / "init.toml"
    assert run("init", "-c", str(written), "--non-interactive", "--email", "a@gmx.de", "--skip-login").exit_code == 0
    assert "config.example.toml" not in written.read_text()


def test_a_key_with_a_line_break_cannot_forge_a_line_of_output(tmp_path: Path):
    """Each listed problem is one cleaned line: a quoted TOML key holding a newline stays inside its own line."""
    config = tmp_path / "c.toml"
    config.write_text('"evil\\nverify-objection: all covered" = 1\n[imap]\nport = "x"\n', encoding="utf-8")
    result = run("config", "check", str(config))
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3 and lines[0].endswith("2 problems:")
    assert not any(line.startswith("verify-objection: all covered") for line in lines)


def test_a_password_is_never_trimmed(tmp_path: Path):
    from verifier.config import load_settings

    config = write_config(tmp_path, {"username": "a@gmx.de", "password": " pass word "})
    assert load_settings(config).imap.password.get_secret_value() == " pass word "
