"""The command line as a user meets it: the demo, config errors, the JSON contract, and keeping the docs complete."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from helpers import run, run_json, statuses, write_config

from verifier.config import Account, ArchiveSettings, Group, ImapSettings, MailboxSettings, Settings

ROOT = Path(__file__).resolve().parent.parent
DEMO_EXPECTED = {"Privat": "confirmed", "Bello": "confirmed", "Verein": "missing"}


def test_demo_gives_the_documented_verdict():
    code, document = run_json("check", "--demo")
    assert statuses(document) == DEMO_EXPECTED
    assert code == document["exit_code"] == 1
    privat = document["groups"][0]
    confirmation = next(e for e in privat["evidence"] if e["kind"] == "confirmation")
    assert confirmation["folder"] == "Junk"
    assert {e["kind"] for e in privat["evidence"]} == {"confirmation", "code"}  # the 2024 code, in Archive
    assert [w["sender"] for w in document["warnings"]] == ["security@instagram-help-center.com"]
    assert document["groups"][2]["form_url"] == "https://help.instagram.com/contact/233964459562201"


def test_demo_plain_text_says_what_to_do_in_german():
    result = run("--lang", "de", "check", "--demo")
    assert result.exit_code == 1
    assert "Verein: FEHLT" in result.stdout
    assert "https://help.instagram.com/contact/233964459562201" in result.stdout
    assert "Junk" in result.stdout and "Warnung" in result.stdout


def test_json_keeps_the_documented_keys():
    _, document = run_json("check", "--demo")
    assert {"groups", "unassigned", "warnings", "quoted", "skipped", "exit_code"} <= document.keys()
    for group in document["groups"]:
        assert {"name", "status", "accounts", "evidence", "form_url"} <= group.keys()
        assert all({"platform", "username"} <= a.keys() for a in group["accounts"])
        assert all({"message_id", "folder", "sent_at", "sender", "subject"} <= e.keys() for e in group["evidence"])
        assert group["status"] in {"confirmed", "unverified", "pending", "rejected", "missing", "unclear", "unknown"}


@pytest.mark.parametrize(
    ("imap", "groups", "key"),
    [
        ({"port": "abc"}, None, "imap.port"),
        ({"pasword": "x"}, None, "imap.pasword"),
        ({"since": "last week"}, None, "imap.since"),
        ({}, '[[groups]]\nname = "x"\naccounts = [{ platform = "tiktok", username = "a" }]\n', "groups[1].accounts"),
        ({}, '[[groups]]\nname = "x"\naccounts = []\n', "groups[1].accounts"),
    ],
)
def test_a_wrong_config_value_is_one_line_naming_the_key(tmp_path: Path, imap, groups, key):
    config = write_config(tmp_path, imap, groups) if groups else write_config(tmp_path, imap)
    result = run("--config", str(config), "check", "--mailbox", str(tmp_path))
    assert result.exit_code == 2
    assert key in result.stderr and str(config) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output and "pydantic" not in result.stderr


def test_broken_toml_and_missing_file_are_exit_2(tmp_path: Path):
    broken = tmp_path / "broken.toml"
    broken.write_text("[imap\nhost=", encoding="utf-8")
    assert run("--config", str(broken), "check").exit_code == 2
    missing = run("--config", str(tmp_path / "nope.toml"), "check")
    assert missing.exit_code == 2 and "No configuration" in missing.stderr


def test_environment_overrides_the_file(tmp_path: Path):
    config = write_config(tmp_path, {"port": 993})
    result = run("--config", str(config), "check", env={"VERIFY_OBJECTION_IMAP__PORT": "not-a-port"})
    assert result.exit_code == 2 and "imap.port" in result.stderr


def test_config_found_through_the_environment_variable(tmp_path: Path):
    config = write_config(tmp_path, {})
    (tmp_path / "mails").mkdir()
    result = run("check", "--mailbox", str(tmp_path / "mails"), env={"VERIFY_OBJECTION_CONFIG": str(config)})
    assert result.exit_code == 1  # empty mailbox: every group missing, a verdict, not an error


def test_missing_local_mailbox_is_exit_2(tmp_path: Path):
    result = run("--config", str(write_config(tmp_path, {})), "check", "--mailbox", f"maildir:{tmp_path / 'x'}")
    assert result.exit_code == 2 and "does not exist" in result.stderr


def _model_keys(model: type, prefix: str) -> set[str]:
    return {f"{prefix}{name}" for name in model.model_fields}


def test_config_example_documents_every_setting():
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    tomllib.loads(text)  # and it is valid TOML
    documented = set(re.findall(r"^\s*#?\s*([a-z0-9_]+)\s*=", text, flags=re.MULTILINE))
    documented |= set(re.findall(r"\b(platform|username|name) =", text))
    models = (ImapSettings, MailboxSettings, ArchiveSettings, Group, Account)
    wanted = {n for model in models for n in model.model_fields} | set(Settings.model_fields)
    wanted -= {"imap", "archive", "groups", "mailboxes"}  # sections, not keys
    assert "[[mailboxes]]" in text
    assert wanted <= documented, f"undocumented in config.example.toml: {sorted(wanted - documented)}"


def test_config_example_is_accepted(tmp_path: Path):
    result = run("--config", str(ROOT / "config.example.toml"), "check", "--mailbox", str(tmp_path), "--json")
    assert result.exit_code == 1, result.stderr


def test_help_lists_every_command_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    from verifier.cli.main import main

    for name in main.commands:
        assert f"verify-objection {name}" in readme, f"README does not mention `verify-objection {name}`"


@pytest.mark.slow  # a second Python process
def test_python_dash_m_works():
    done = subprocess.run([sys.executable, "-m", "verifier", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0 and "check" in done.stdout


@pytest.mark.slow  # builds and installs a wheel
def test_demo_works_from_an_installed_wheel(tmp_path: Path):
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
    )
    if built.returncode != 0 and "No module named 'hatchling'" in built.stderr:
        built = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
            capture_output=True,
            text=True,
        )
    assert built.returncode == 0, built.stderr
    wheel = next(tmp_path.glob("*.whl"))
    assert any(n.startswith("verifier/_demo/Maildir/.Junk/") for n in zipfile.ZipFile(wheel).namelist())
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)], check=True
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    code = "import verifier, sys; from verifier.cli.main import main; print(verifier.__file__, file=sys.stderr); main()"
    done = subprocess.run(
        [sys.executable, "-c", code, "check", "--demo", "--json"], capture_output=True, text=True, cwd=tmp_path, env=env
    )
    assert str(target) in done.stderr  # the installed copy ran, not the checkout
    assert done.returncode == 1 and '"status": "missing"' in done.stdout, done.stderr
    # a pip user has no config.example.toml: the installed package prints it
    example = subprocess.run(
        [sys.executable, "-c", code, "config", "example"], capture_output=True, text=True, cwd=tmp_path, env=env
    )
    assert example.returncode == 0 and example.stdout == (ROOT / "config.example.toml").read_text(encoding="utf-8")
