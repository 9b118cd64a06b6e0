"""`verify-objection init`: ask (or take from options) address, login and groups; write a commented 0600 config."""

from __future__ import annotations

import json
from pathlib import Path

import click

from verifier.config import Account, Group, ImapSettings
from verifier.errors import AuthError, ConfigError, VerifierError
from verifier.i18n import Texts
from verifier.privatefile import write_private
from verifier.signin.providers import Preset, domain_of, preset_for_address, presets

AUTH_KINDS = ("password", "oauth2-microsoft", "oauth2-google", "oauth2-command")


def parse_accounts(text: str) -> list[Account]:
    """ "instagram:lord.canterville, facebook:lord.canterville.5" → accounts (a bare name means Instagram)."""
    accounts = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        platform, _, username = item.rpartition(":")
        platform = platform.strip().lower() or "instagram"
        if platform not in ("instagram", "facebook"):
            raise ConfigError(f"{item!r}: the platform must be instagram or facebook (e.g. instagram:name).")
        accounts.append(Account(platform=platform, username=username.strip()))
    return accounts


def parse_group_option(text: str) -> Group:
    name, sep, accounts = text.partition("=")
    if not sep or not name.strip():
        raise ConfigError(f"--group {text!r}: write NAME=PLATFORM:USER,… e.g. Privat=instagram:lord.canterville")
    return Group(name=name.strip(), accounts=parse_accounts(accounts) or [])


class _Asker:
    def __init__(self, t: Texts, interactive: bool) -> None:
        self.t, self.interactive = t, interactive

    def text(self, given: object, key: str, default: str | None = None, *, required: bool = True) -> str | None:
        if given not in (None, ""):
            return str(given)
        if not self.interactive:
            if required and default is None:
                raise ConfigError(f"init --non-interactive: {self.t('init.' + key)} is missing (see --help).")
            return default
        answer = click.prompt(
            self.t("init." + key), default=default if default is not None else "", show_default=bool(default)
        )
        if required and not answer:
            raise ConfigError(f"{self.t('init.' + key)}: an answer is needed.")
        return answer or None


def _preset(answers: dict, email: str) -> Preset | None:
    if answers.get("provider"):
        name = str(answers["provider"]).lower()
        if name not in presets():
            raise ConfigError(f"--provider {name!r} is not known; known: {', '.join(sorted(presets()))}.")
        return presets()[name]
    return preset_for_address(email)


def collect(answers: dict, t: Texts, interactive: bool) -> tuple[ImapSettings, list[Group]]:
    ask = _Asker(t, interactive)
    email = ask.text(answers.get("email"), "email") or ""
    if "@" not in email:
        raise ConfigError(f"{email!r} is not an e-mail address.")
    preset = _preset(answers, email)
    if preset and not answers.get("host"):
        host, port = preset.host, int(answers.get("port") or preset.port)
        click.echo(t("init.preset", label=preset.label, host=host, port=port), err=True)
    else:
        if interactive and not answers.get("host"):
            click.echo(t("init.no_preset", domain=domain_of(email)), err=True)
        host = ask.text(answers.get("host"), "host") or ""
        port = int(ask.text(answers.get("port"), "port", "993") or 993)
    auth = ask.text(answers.get("auth"), "auth", preset.auth if preset else "password")
    if auth not in AUTH_KINDS:
        raise ConfigError(f"{auth!r}: choose one of {', '.join(AUTH_KINDS)}.")
    values: dict[str, object] = {"host": host, "port": port, "username": email, "auth": auth}
    if answers.get("ca_file"):
        values["ca_file"] = str(Path(str(answers["ca_file"])).resolve())
    if auth in ("oauth2-microsoft", "oauth2-google"):
        values["oauth2_client_id"] = ask.text(answers.get("client_id"), "client_id")
        if answers.get("authority"):
            values["oauth2_authority"] = answers["authority"]
    if auth == "oauth2-google":
        values["oauth2_client_secret"] = ask.text(None, "client_secret", required=False) if interactive else None
    if auth == "oauth2-command":
        values["token_command"] = ask.text(answers.get("token_command"), "token_command")
    if auth == "password":
        values["password_command"] = ask.text(answers.get("password_command"), "password_command", required=False)
    imap = ImapSettings.model_validate({k: v for k, v in values.items() if v is not None})
    groups = [parse_group_option(str(g)) for g in answers.get("groups") or ()]
    if interactive and not groups:
        click.echo(t("init.groups_intro"), err=True)
        while name := click.prompt(t("init.group_name"), default="", show_default=False, err=True).strip():
            accounts = parse_accounts(click.prompt(t("init.group_accounts"), err=True))
            groups.append(Group(name=name, accounts=accounts))
    return imap, groups


def render_config(imap: ImapSettings, groups: list[Group]) -> str:
    def q(value: object) -> str:
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string

    lines = [
        "# verify-objection configuration, written by `verify-objection init`. Every key: config.example.toml.",
        "# Keep this file private (mode 0600); it holds no password unless you add one.",
        "",
        "[imap]",
        f"host = {q(imap.host)}",
        f"port = {imap.port}",
        *([f"ca_file = {q(imap.ca_file)}"] if imap.ca_file else []),
        "# The address you log in with.",
        f"username = {q(imap.username)}",
        '# "password" (password_command, then the system keyring, then VERIFY_OBJECTION_IMAP__PASSWORD, then a',
        '# prompt), "oauth2-microsoft", "oauth2-google" or "oauth2-command" (token_command).',
        f"auth = {q(imap.auth)}",
    ]
    if imap.password_command:
        lines += ["# Prints the password (run without a shell).", f"password_command = {q(imap.password_command)}"]
    elif imap.auth == "password":
        lines += ['# password_command = "pass show mail"   # or: `verify-objection login` keeps it in the keyring']
    if imap.oauth2_client_id:
        lines += ["# Your own app registration (see the README).", f"oauth2_client_id = {q(imap.oauth2_client_id)}"]
    if imap.auth == "oauth2-microsoft":
        lines += ["# consumers = personal accounts; organizations, common or a tenant ID for work accounts."]
        lines += [f"oauth2_authority = {q(imap.oauth2_authority)}"]
    if imap.auth == "oauth2-google":
        secret = imap.oauth2_client_secret.get_secret_value() if imap.oauth2_client_secret else ""
        lines += [
            "# The client secret of your Google OAuth client (Desktop app).",
            f"oauth2_client_secret = {q(secret)}",
        ]
    if imap.token_command:
        lines += ["# Prints an OAuth2 access token.", f"token_command = {q(imap.token_command)}"]
    lines += [
        "",
        "# One [[groups]] per Accounts Center (Instagram → Settings → Accounts Center): one objection covers every",
        "# account in it. platform: instagram or facebook; username without @. Add more groups any time.",
    ]
    for group in groups:
        accounts = ", ".join(f"{{ platform = {q(a.platform)}, username = {q(a.username)} }}" for a in group.accounts)
        lines += ["[[groups]]", f"name = {q(group.name)}", f"accounts = [{accounts}]", ""]
    if not groups:
        lines += ["# [[groups]]", '# name = "Privat"', '# accounts = [{ platform = "instagram", username = "…" }]', ""]
    return "\n".join(lines).rstrip() + "\n"


def timestamp_section(url: object) -> str:
    """`init --timestamp-url URL`: the [archive] lines that turn stamping on; nothing without the option."""
    if not url:
        return ""
    if not str(url).startswith(("https://", "http://")):
        raise ConfigError(f"--timestamp-url must be an http:// or https:// URL, not {url!r}.")
    return (
        "\n[archive]\n# RFC 3161 timestamps on every kept mail and the proof PDF; the TSA sees only a SHA-256 hash.\n"
        f"timestamp_url = {json.dumps(str(url))}\n"
        '# timestamp_ca_file = "…/cacert.pem"   # only for a TSA whose root is not in the system store (README)\n'
    )


def run_init(path: Path, answers: dict, *, lang: str, at_terminal: bool) -> int:
    t = Texts(lang)
    interactive = at_terminal and not answers.get("non_interactive")
    keep = path.exists() and not answers.get("force")
    if keep and not (interactive and click.confirm(t("init.exists", path=path), err=True)):
        raise ConfigError(f"{path} exists; pass --force to overwrite it (or --config OTHER_PATH).")
    imap, groups = collect(answers, t, interactive)
    write_private(path, render_config(imap, groups) + timestamp_section(answers.get("timestamp_url")))
    click.echo(t("init.written", path=path), err=True)
    wants_keyring = imap.auth == "password" and not imap.password_command and interactive
    if wants_keyring and not answers.get("skip_login") and click.confirm(t("init.keyring_now"), default=True, err=True):
        from verifier.signin.login import sign_in

        return _explain_failure(t, path, imap, lambda: click.echo(sign_in(imap, at_terminal=True), err=True))
    if answers.get("skip_login"):
        click.echo(t("init.skipped"), err=True)
        return 0
    click.echo(t("init.testing"), err=True)

    def test() -> None:
        from verifier.signin.credentials import credentials_for
        from verifier.signin.login import try_login

        try_login(imap, credentials_for(imap, interactive=interactive))
        click.echo(t("init.login_ok"), err=True)

    return _explain_failure(t, path, imap, test)


def _explain_failure(t: Texts, path: Path, imap: ImapSettings, action) -> int:
    from verifier.safetext import clean_line
    from verifier.signin.providers import login_hint
    from verifier.signin.secrets import redact

    try:
        action()
    except VerifierError as err:
        click.echo(f"verify-objection: {clean_line(redact(str(err)))}", err=True)  # it may quote the server
        hint = login_hint(imap.host, imap.username, t.lang)
        if isinstance(err, AuthError) and hint not in str(err):
            click.echo(hint, err=True)
        click.echo(t("init.login_failed", path=path), err=True)
        return int(err.exit_code)
    return 0
