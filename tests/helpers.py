"""Running the real CLI in-process and writing configs for it."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from verifier.cli.main import main

# the test Dovecot's password (tests/dovecot_server.py), as a run would get it from the environment
PASSWORD_ENV = {"VERIFY_OBJECTION_IMAP__PASSWORD": "correct horse battery staple"}

GROUPS_TOML = """
[[groups]]
name = "Privat"
accounts = [
  { platform = "instagram", username = "lord.canterville" },
  { platform = "facebook", username = "lord.canterville.5", name = "Lord Canterville" },
]
[[groups]]
name = "Bello"
accounts = [ { platform = "instagram", username = "bello.der.hund" } ]
[[groups]]
name = "Verein"
accounts = [ { platform = "instagram", username = "canterville.gespensterverein" } ]
"""


def write_config(directory: Path, imap: dict[str, object] | None = None, groups: str = GROUPS_TOML) -> Path:
    lines = ["[imap]"]
    for key, value in (imap or {}).items():
        lines.append(f"{key} = {json.dumps(value)}")
    path = directory / "config.toml"
    path.write_text("\n".join(lines) + "\n" + groups, encoding="utf-8")
    return path


def imap_config(directory: Path, server, **overrides: object) -> Path:
    imap: dict[str, object] = {
        "host": "127.0.0.1",
        "port": server.imaps_port,
        "tls": "implicit",
        "username": server.user,
        "ca_file": str(server.ca_file),
        "timeout": 10,
    }
    imap.update(overrides)
    return write_config(directory, imap)


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    runner = CliRunner()
    return runner.invoke(main, list(args), env=env, catch_exceptions=False)


def run_json(*args: str, env: dict[str, str] | None = None) -> tuple[int, dict]:
    result = run(*args, "--json", env=env)
    assert result.stdout.strip(), result.stderr
    return result.exit_code, json.loads(result.stdout)


def statuses(document: dict) -> dict[str, str]:
    return {group["name"]: group["status"] for group in document["groups"]}


def offline_microsoft_config(directory: Path) -> Path:
    """A Microsoft sign-in whose service is "offline" without leaving this machine: the authority is a loopback port
    nobody listens on. (The caller points XDG_DATA_HOME at a temporary folder: no token cache of the user's.)"""
    import socket

    from dovecot_server import DEFAULT_USER

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    return write_config(directory, {"username": DEFAULT_USER, "oauth2_client": "thunderbird",
                                    "oauth2_authority": f"https://127.0.0.1:{closed}/consumers"})  # fmt: skip
