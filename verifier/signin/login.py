"""`verify-objection login`: sign in once (OAuth2, or the password into the keyring or an owner-only file), then prove
it. The password is asked only once the server has answered, and a password once typed is never lost to a failure."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from pathlib import Path

from verifier.config import ImapSettings
from verifier.errors import AuthError, ConfigError, MailboxError, VerifierError
from verifier.i18n import Texts, default_language
from verifier.signin.credentials import Credentials, OAuth2Login, PasswordLogin, token_provider
from verifier.signin.secrets import (
    keyring_usable,
    remember_secret,
    run_password_command,
    store_in_keyring,
    store_in_password_file,
)

PASSWORD_TRIES = 3


class NoPasswordPlace(ConfigError):
    """Nowhere to keep a password here (no keyring, no password_file, no password_command): the CLI offers one."""


def try_login(imap: ImapSettings, credentials: Credentials) -> None:
    """Connect, log in and run one read-only command; raises AuthError/MailboxError with the reason."""
    from verifier.sources.imap import ImapSource

    source = ImapSource(imap, credentials)
    try:
        source.connect()
    finally:
        source.close()


def default_password_file(config_path: Path) -> Path:
    config_path = config_path.expanduser().resolve()  # the config names it absolutely: cron runs elsewhere
    return config_path.with_name(config_path.stem + ".password")


def sign_in(
    imap: ImapSettings,
    *,
    at_terminal: bool,
    config_path: Path | None = None,
    lang: str | None = None,
    tell: Callable[[str], None] = lambda text: None,
) -> str:
    from verifier.signin.providers import auth_kind, with_preset

    t = Texts(lang or default_language())
    imap = with_preset(imap)
    if not imap.username:
        raise ConfigError(key="no_username")
    kind = auth_kind(imap)
    where = t("source.imap", user=imap.username, host=imap.host)
    if kind == "password":
        if imap.password_command:
            password = run_password_command(imap.password_command)
            try_login(imap, PasswordLogin(lambda: password))
            return t("signin.logged_in_command", where=where)
        if not at_terminal:
            raise ConfigError(key="login_needs_terminal")
        if not imap.password_file and not keyring_usable():
            raise NoPasswordPlace(key="no_password_place")
        password, untested = _typed_and_tested(imap, where, tell)
        kept = _keep(imap, password, config_path, tell, t)
        if untested is not None:
            raise MailboxError(key="kept_untested", why=untested, kept=kept)
        return t("signin.logged_in_kept", where=where, kept=kept)
    provider = token_provider(imap, kind, interactive=True, lang=lang)
    if kind != "oauth2-command":
        provider.sign_in()  # type: ignore[attr-defined]
    try_login(imap, OAuth2Login(provider))
    if kind == "oauth2-command":
        return t("signin.logged_in_token", where=where)
    return t("signin.signed_in", where=where)


def _one_line(err: Exception) -> str:
    from verifier.i18n import active
    from verifier.safetext import clean_line
    from verifier.signin.secrets import redact

    said = err.text(active().lang) if isinstance(err, VerifierError) else str(err)
    return f"verify-objection: {clean_line(redact(said))}"  # it may quote the server


def _typed_and_tested(imap: ImapSettings, where: str, tell: Callable[[str], None]) -> tuple[str, MailboxError | None]:
    """Ask for the password when the server is ready for it (never while a connection hangs), and test it.

    A refused password is asked again; a connection that breaks after the password was typed keeps the password
    (returned with the error), so the person never has to type it into a dead end twice."""
    for attempt in range(1, PASSWORD_TRIES + 1):
        typed: list[str] = []

        def ask(typed: list[str] = typed) -> str:
            from verifier.i18n import active

            prompt = active()("prompt.password_at", user=imap.username, host=imap.host)
            typed.append(remember_secret(getpass.getpass(prompt + " ")))
            return typed[-1]

        try:
            try_login(imap, PasswordLogin(ask))
            return typed[-1], None
        except AuthError as err:
            if not typed or attempt == PASSWORD_TRIES:
                raise
            tell(_one_line(err))
        except MailboxError as err:
            if not typed:
                raise
            return typed[-1], err
    raise AssertionError("unreachable")  # pragma: no cover


def _keep(imap: ImapSettings, password: str, config_path: Path | None, tell: Callable[[str], None], t: Texts) -> str:
    if imap.password_file:
        return t("signin.kept_file", path=store_in_password_file(imap.password_file, password))
    try:
        store_in_keyring(imap.username or "", password)
        return t("signin.kept_keyring")
    except ConfigError as err:
        if config_path is None:
            raise
        # The keyring said it worked and then refused: keep the typed password in an owner-only file instead.
        from verifier.signin.setup import add_imap_key

        path = default_password_file(config_path)
        store_in_password_file(str(path), password)
        add_imap_key(config_path, "password_file", str(path))
        tell(_one_line(err))
        return t("signin.kept_file_added", path=path, config=config_path)
