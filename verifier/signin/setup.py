"""`verify-objection init`'s pure part: the commented 0600 config it writes, adding one key to it later, and the one
next step to print. The questions themselves are asked in cli/wizard.py."""

from __future__ import annotations

import json
import re
from pathlib import Path

from verifier.config import Group, ImapSettings
from verifier.errors import ConfigError
from verifier.privatefile import read_private, write_private

IMAP_HEADER = re.compile(r"^\s*\[\s*imap\s*\]\s*(#.*)?$")


def _q(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def _imap_lines(imap: ImapSettings) -> list[str]:
    lines = [
        "[imap]",
        f"host = {_q(imap.host)}",
        f"port = {imap.port}",
        *([f"ca_file = {_q(imap.ca_file)}"] if imap.ca_file else []),
        *([f"tls = {_q(imap.tls)}"] if imap.tls != "auto" else []),
        "# The address you log in with.",
        f"username = {_q(imap.username)}",
        '# "password" (password_command, then the system keyring, then password_file, then',
        '# VERIFY_OBJECTION_IMAP__PASSWORD, then a prompt), "oauth2-microsoft", "oauth2-google" or "oauth2-command".',
        f"auth = {_q(imap.auth)}",
    ]
    if imap.password_command:
        lines += ["# Prints the password (run without a shell).", f"password_command = {_q(imap.password_command)}"]
    if imap.password_file:
        lines += [
            "# Holds only the password, in plain text, readable only by you (refused otherwise).",
            f"password_file = {_q(imap.password_file)}",
        ]
    if imap.auth == "password" and not (imap.password_command or imap.password_file):
        lines += ['# password_command = "pass show mail"   # or: `verify-objection login` keeps it in the keyring']
    if imap.oauth2_client:
        lines += [
            "# Sign in through this program's public client (no own registration; Microsoft shows it as that program).",
            f"oauth2_client = {_q(imap.oauth2_client)}",
        ]
    if imap.oauth2_client_id:
        lines += ["# Your own app registration (see the README).", f"oauth2_client_id = {_q(imap.oauth2_client_id)}"]
    elif imap.auth == "oauth2-microsoft" and not imap.oauth2_client:
        lines += [
            "# Your own app registration's Application (client) ID, once you have it (README, option b):",
            '# oauth2_client_id = "00000000-0000-0000-0000-000000000000"',
        ]
    if imap.auth == "oauth2-microsoft":
        lines += ["# consumers = personal accounts; organizations, common or a tenant ID for work accounts."]
        lines += [f"oauth2_authority = {_q(imap.oauth2_authority)}"]
    if imap.auth == "oauth2-google":
        secret = imap.oauth2_client_secret.get_secret_value() if imap.oauth2_client_secret else ""
        lines += ["# The client secret of your Google OAuth client (Desktop app)."]
        lines += [f"oauth2_client_secret = {_q(secret)}"]
    if imap.token_command:
        lines += ["# Prints an OAuth2 access token.", f"token_command = {_q(imap.token_command)}"]
    return lines


def render_config(imap: ImapSettings | None, groups: list[Group], *, address: str = "") -> str:
    """``imap`` None: no sign-in at all (local files only); the section is kept, commented, for later."""
    lines = [
        "# verify-objection configuration, written by `verify-objection init`.",
        "# Every key, explained: `verify-objection config example`.",
        "# Keep this file private (mode 0600); it holds no password unless you add one.",
        "",
    ]
    if imap is None:
        lines += [
            "# No mailbox login: read saved mails with `verify-objection check --mailbox FOLDER`.",
            "# To log in later, run `verify-objection init --force` again, or fill this in:",
            "# [imap]",
            f"# username = {_q(address)}",
        ]
    else:
        lines += _imap_lines(imap)
    lines += [
        "",
        "# One [[groups]] per Accounts Center (Instagram → Settings → Accounts Center): one objection covers every",
        "# account in it. platform: instagram or facebook; username without @. Add more groups any time.",
    ]
    for group in groups:
        accounts = ", ".join(f"{{ platform = {_q(a.platform)}, username = {_q(a.username)} }}" for a in group.accounts)
        lines += ["[[groups]]", f"name = {_q(group.name)}", f"accounts = [{accounts}]", ""]
    if not groups:
        lines += ["# [[groups]]", '# name = "Privat"', '# accounts = [{ platform = "instagram", username = "…" }]', ""]
    return "\n".join(lines).rstrip() + "\n"


def add_imap_key(path: Path, key: str, value: str) -> None:
    """Add ``key = value`` at the top of the [imap] section (the file `init` wrote, comments kept)."""
    text = read_private(path) or ""
    lines = text.splitlines()
    line = f"{key} = {_q(value)}"
    header = next((i for i, entry in enumerate(lines) if IMAP_HEADER.match(entry)), None)
    if header is not None:
        lines.insert(header + 1, line)
    else:  # a second [imap] table would make the file invalid TOML: only add one where there is none
        lines = ["[imap]", line, "", *lines]
    write_private(path, "\n".join(lines) + "\n")


def timestamp_section(url: object) -> str:
    """`init --timestamp-url URL`: the [archive] lines that turn stamping on; nothing without the option."""
    if not url:
        return ""
    if not str(url).startswith(("https://", "http://")):
        raise ConfigError(key="timestamp_url", value=url)
    return (
        "\n[archive]\n# RFC 3161 timestamps on every kept mail and the proof PDF; the TSA sees only a SHA-256 hash.\n"
        f"timestamp_url = {json.dumps(str(url))}\n"
        '# timestamp_ca_file = "…/cacert.pem"   # only for a TSA whose root is not in the system store (README)\n'
    )


def next_step(imap: ImapSettings | None, *, signed_in: bool) -> str:
    """The catalogue key (under [setup.next]) of the one thing to do next."""
    if imap is None:
        return "local"
    if imap.auth == "oauth2-microsoft" and not (imap.oauth2_client or imap.oauth2_client_id):
        return "client_id"
    if imap.auth == "oauth2-google" and not imap.oauth2_client_id:
        return "client_id"
    if signed_in:
        return "check"
    return "login"
