"""What a command works on: the settings and a way to open the mail source (IMAP, a local mailbox, or the demo)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from verifier.config import Settings, load_settings, resolve_config_path
from verifier.errors import ConfigError
from verifier.recognise.voice import Voice, for_account
from verifier.sources import MailSource

DEMO_DESCRIPTION = "demo mailbox (lord.canterville@outlook.de)"


def demo_dir() -> Path:
    from importlib.resources import files

    packaged = Path(str(files("verifier"))) / "_demo"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent / "fixtures" / "demo"


@dataclass
class Session:
    settings: Settings
    open_source: Callable[[], MailSource]
    # The provider whose Authentication-Results count: the IMAP account's; for local mail, learnt from the mails.
    voice: Voice | None = None


def open_session(config_path: str | None, mailbox: str | None, demo: bool, *, interactive: bool) -> Session:
    """``interactive``: a person is at a terminal, so a missing password may be asked for (never under cron)."""
    from verifier.sources.local import open_local

    if demo:
        settings = load_settings(demo_dir() / "config.toml")
        spec = f"maildir:{demo_dir() / 'Maildir'}"

        def open_demo() -> MailSource:
            source = open_local(spec)
            source.description = DEMO_DESCRIPTION
            return source

        session = Session(settings, open_demo)
    else:
        settings = load_settings(resolve_config_path(config_path))
        if mailbox:
            open_local(mailbox)  # fail early, with its one-line error, if the path is wrong
            # A configured address says who the user is; without one, the mails' recipients do (recognise/voice.py).
            voice = for_account(None, settings.imap.username) if settings.imap.username else None
            session = Session(settings, lambda: open_local(mailbox), voice=voice)
        else:
            voice = for_account(settings.imap.host, settings.imap.username)
            session = Session(settings, _imap_opener(settings, interactive), voice=voice)
    if not settings.groups:
        raise ConfigError("The config lists no [[groups]]: add one per Accounts Center (see config.example.toml).")
    return session


def _imap_opener(settings: Settings, interactive: bool) -> Callable[[], MailSource]:
    from verifier.signin.credentials import PasswordLogin, credentials_for
    from verifier.signin.providers import with_preset
    from verifier.sources.imap import ImapSource

    imap = with_preset(settings.imap)
    credentials = credentials_for(imap, interactive=interactive)
    if isinstance(credentials, PasswordLogin):
        # ask (or run password_command) once per run, however often `watch` reconnects; tokens stay fresh per connect
        credentials = PasswordLogin(cache(credentials.password))
    return lambda: ImapSource(imap, credentials)
