"""`verify-objection init`'s questions. A slip re-asks that one question with the reason (answers already given are
kept); with --non-interactive the same slip is one error line naming the option. The file is written before any
sign-in, so nothing typed is lost to a failing login."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from verifier.cli.common import confirm
from verifier.config import Group, ImapSettings
from verifier.errors import AuthError, ConfigError, VerifierError
from verifier.i18n import Texts
from verifier.privatefile import write_private
from verifier.signin.answers import (
    Slip,
    parse_accounts,
    parse_client_id,
    parse_email,
    parse_group_option,
    parse_port,
)
from verifier.signin.providers import Preset, domain_of, preset_for_address, presets
from verifier.signin.setup import next_step, render_config, timestamp_section

T = TypeVar("T")
AUTH_KINDS = ("password", "oauth2-microsoft", "oauth2-google", "oauth2-command")


def _echo(text: str) -> None:
    click.echo(text, err=True)


class Asker:
    def __init__(self, t: Texts, interactive: bool) -> None:
        self.t, self.interactive = t, interactive

    def ask(self, given: object, prompt_key: str, parse: Callable[[str], T], *, option: str,
            default: str | None = None) -> T:  # fmt: skip
        """``given`` (an option's value) first; a slip there is an error naming ``option`` or, at a terminal, a
        re-ask. Without a terminal a missing answer takes ``default`` or is an error naming ``option``."""
        if given not in (None, ""):
            try:
                return parse(str(given))
            except Slip as slip:
                if not self.interactive:
                    raise ConfigError(key="slip", option=option, why=slip) from None
                _echo(slip.say(self.t))
        elif not self.interactive:
            if default is None:
                raise ConfigError(key="setup.missing", option=option)
            return parse(default)
        while True:
            answer = click.prompt(self.t(prompt_key), default=default or "", show_default=bool(default), err=True)
            try:
                return parse(answer)
            except Slip as slip:
                _echo(slip.say(self.t))

    def choose(self, choices: list[str], default: str) -> str:
        """One of ``choices`` (typed as shown: a letter or a number); a slip re-asks with the choices."""
        while True:
            answer = click.prompt(self.t("setup.choose"), default=default, err=True).strip().lower().rstrip(")")
            if answer in choices:
                return answer
            _echo(self.t("setup.not_a_choice", answer=answer, choices=", ".join(choices)))


def required(text: str) -> str:
    if not text.strip():
        raise Slip("empty")
    return text.strip()


def parse_host(text: str) -> str:
    host = text.strip().lower().rstrip(".")
    if not host or any(c in host for c in " /:@") or ("." not in host and host != "localhost"):
        raise Slip("host", answer=text.strip())
    return host


def _preset(answers: dict, email: str) -> Preset | None:
    if answers.get("provider"):
        name = str(answers["provider"]).lower()
        if name not in presets():
            slip = Slip("provider", answer=name, known=", ".join(sorted(presets())))
            raise ConfigError(key="slip", option="--provider", why=slip)
        return presets()[name]
    return preset_for_address(email)


Plan = tuple[ImapSettings | None, list[Group], str, bool]


def collect(answers: dict, t: Texts, interactive: bool, path: Path) -> Plan:
    """The settings (None: no sign-in, local files only), the groups, the address, and whether to sign in now."""
    ask = Asker(t, interactive)
    email = ask.ask(answers.get("email"), "init.email", parse_email, option="--email")
    preset = _preset(answers, email)
    if answers.get("host") and preset and parse_host(str(answers["host"])) != preset.host:
        preset = None  # an own server named: it decides the login, not the address (as providers.auth_kind does)
    if preset and not answers.get("host"):
        host, port = preset.host, int(answers.get("port") or preset.port)
        _echo(t("init.preset", label=preset.label, host=host, port=port))
    else:
        if interactive and not answers.get("host"):
            _echo(t("init.no_preset", domain=domain_of(email)))
        host = ask.ask(answers.get("host"), "init.host", parse_host, option="--host")
        port = ask.ask(answers.get("port"), "init.port", parse_port, option="--port", default="993")
    auth = str(answers.get("auth") or (preset.auth if preset else "password"))
    values: dict[str, object] = {"host": host, "port": port, "username": email, "auth": auth}
    values["tls"] = answers.get("tls") or "auto"
    if answers.get("ca_file"):
        values["ca_file"] = str(Path(str(answers["ca_file"])).resolve())
    if answers.get("authority"):
        values["oauth2_authority"] = answers["authority"]
    if auth == "oauth2-microsoft":
        if not _microsoft(answers, ask, t, values):
            return None, collect_groups(answers, ask, t), email, False
    elif auth == "oauth2-google":
        values["oauth2_client_id"] = ask.ask(
            answers.get("client_id"), "setup.ask.client_id_google", lambda s: parse_client_id(s, guid=False),
            option="--client-id", default="",
        )  # fmt: skip
        if interactive:
            values["oauth2_client_secret"] = click.prompt(t("init.client_secret"), default="", err=True) or None
    elif auth == "oauth2-command":
        values["token_command"] = ask.ask(answers.get("token_command"), "init.token_command", required,
                                          option="--token-command")  # fmt: skip
    now = True
    if auth == "password":
        if preset and preset.step(t.lang):
            _echo(t("setup.provider_step", label=preset.label, step=preset.step(t.lang)))
        now = _password_place(answers, ask, t, values, path) != "later"
    imap = ImapSettings.model_validate({k: v for k, v in values.items() if v is not None})
    return imap, collect_groups(answers, ask, t), email, now


def _microsoft(answers: dict, ask: Asker, t: Texts, values: dict[str, object]) -> bool:
    """Outlook.com: Thunderbird's public client (a), an own registration (b), or no sign-in (c: returns False)."""
    if answers.get("client_id"):
        choice = "b"
    elif answers.get("oauth2_client") or not ask.interactive:
        choice = "a"
    else:
        _echo(t("setup.outlook.intro"))
        choice = ask.choose(["a", "b", "c"], "a")
    if choice == "c":
        _echo(t("setup.outlook.local"))
        return False
    if choice == "a":
        from verifier.signin.oauth.clients import named_clients

        name = str(answers.get("oauth2_client") or "thunderbird").lower()
        if name not in named_clients():
            known = ", ".join(sorted(named_clients()))
            raise ConfigError(key="unknown_oauth_client", option="--oauth2-client", name=name, known=known)
        values["oauth2_client"] = name
        _echo(t("setup.outlook.thunderbird"))
        return True
    if ask.interactive and not answers.get("client_id"):
        _echo(t("setup.outlook.own"))
    values["oauth2_client_id"] = ask.ask(
        answers.get("client_id"), "setup.ask.client_id", parse_client_id, option="--client-id", default=""
    )
    return True


def _password_place(answers: dict, ask: Asker, t: Texts, values: dict[str, object], path: Path) -> str:
    """Fills password_command or password_file; returns the place chosen ("later": no login test now)."""
    from verifier.signin.login import default_password_file

    if answers.get("password_command"):
        values["password_command"] = str(answers["password_command"])
        return "password_command"
    if answers.get("password_file"):
        values["password_file"] = str(Path(str(answers["password_file"])).expanduser().resolve())
        return "password_file"
    if not ask.interactive:
        return "later"
    kind, value = choose_password_place(t, ask, default_password_file(path))
    if kind in ("password_command", "password_file"):
        values[kind] = value
    return kind


def choose_password_place(t: Texts, ask: Asker, default_file: Path, *, later: bool = True) -> tuple[str, str]:
    """Where a password goes, asked before anyone types it: the keyring only where one works."""
    from verifier.signin.secrets import keyring_usable

    places = (["keyring"] if keyring_usable() else []) + ["command", "file"] + (["later"] if later else [])
    _echo(t("setup.password.intro_keyring" if "keyring" in places else "setup.password.intro_no_keyring"))
    for number, place in enumerate(places, 1):
        _echo(f"  {number}) " + t(f"setup.password.{place}", path=default_file))
    place = places[int(ask.choose([str(n) for n in range(1, len(places) + 1)], "1")) - 1]
    if place == "command":
        return "password_command", ask.ask(None, "setup.ask.password_command", required, option="--password-command")
    if place == "file":
        chosen = ask.ask(None, "setup.ask.password_file", required, option="--password-file", default=str(default_file))
        _echo(t("setup.password.file_warning"))
        return "password_file", str(Path(chosen).expanduser().resolve())
    return place, ""


def collect_groups(answers: dict, ask: Asker, t: Texts) -> list[Group]:
    given = answers.get("groups") or ()
    typed = Asker(t, False)  # a slip in a --group on the command line is an error naming it, not a re-ask
    groups = [typed.ask(g, "init.group_accounts", parse_group_option, option="--group") for g in given]
    if ask.interactive and not groups:
        _echo(t("init.groups_intro"))
        while name := click.prompt(t("init.group_name"), default="", show_default=False, err=True).strip():
            accounts = ask.ask(None, "init.group_accounts", parse_accounts, option="--group")
            groups.append(Group(name=name, accounts=accounts))
    return groups


def run_init(path: Path, answers: dict, *, lang: str, at_terminal: bool) -> int:
    t = Texts(lang)
    interactive = at_terminal and not answers.get("non_interactive")
    keep = path.exists() and not answers.get("force")
    if keep and not (interactive and confirm(t("init.exists", path=path), t)):
        raise ConfigError(key="config_exists", path=path)
    imap, groups, email, now = collect(answers, t, interactive, path)
    write_private(path, render_config(imap, groups, address=email) + timestamp_section(answers.get("timestamp_url")))
    _echo(t("init.written", path=path))
    if imap is None or next_step(imap, signed_in=False) == "client_id":
        _echo(t(f"setup.next.{next_step(imap, signed_in=False)}", path=path))
        return 0
    if answers.get("skip_login"):
        _echo(t("init.skipped"))
        return 0
    needs_person = imap.auth in ("oauth2-microsoft", "oauth2-google") or (
        imap.auth == "password" and not imap.password_command
    )
    if not now or (needs_person and not interactive):
        _echo(t("setup.next.login"))
        return 0
    _echo(t("init.testing"))

    def test() -> None:
        from verifier.signin.login import sign_in

        _echo(sign_in(imap, at_terminal=True, config_path=path, lang=lang, tell=_echo))
        _echo(t("init.login_ok"))

    return explain_failure(t, path, imap, test)


def explain_failure(t: Texts, path: Path, imap: ImapSettings, action: Callable[[], None]) -> int:
    from verifier.safetext import clean_line
    from verifier.signin.providers import login_hint
    from verifier.signin.secrets import redact

    try:
        action()
    except VerifierError as err:
        said = err.text(t.lang)
        _echo(f"verify-objection: {clean_line(redact(said))}")  # it may quote the server
        hint = login_hint(imap.host, imap.username, t.lang)
        if isinstance(err, AuthError) and hint not in said:
            _echo(hint)
        _echo(t("init.login_failed", path=path))
        return int(err.exit_code)
    return 0
