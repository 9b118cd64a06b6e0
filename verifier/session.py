"""What a command works on: the settings and a way to open the mail source (IMAP, a local mailbox, or the demo)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from pathlib import Path

from verifier.config import ImapSettings, MailboxSettings, Settings, load_settings, resolve_config_path
from verifier.errors import ConfigError, VerifierError
from verifier.recognise.voice import Voice, for_account
from verifier.sources import Mailbox, MailSource

DEMO_DESCRIPTION = "demo mailbox (lord.canterville@outlook.de)"


def open_local(spec: str) -> MailSource:
    from verifier.sources.local import open_local as local  # an IMAP run loads none of the local readers

    return local(spec)


def demo_dir() -> Path:
    from importlib.resources import files

    packaged = Path(str(files("verifier"))) / "_demo"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent / "fixtures" / "demo"


@dataclass
class Session:
    settings: Settings
    open_source: Callable[[], MailSource]
    # several [[mailboxes]]: one check reads them all (open_source then refuses: `watch` and `login` need one)
    mailboxes: list[Mailbox] = field(default_factory=list)
    since: date | None = None  # a [[mailboxes]] entry's own `since`; else [imap] since
    # The provider whose Authentication-Results count: the IMAP account's; for local mail, learnt from the mails.
    voice: Voice | None = None

    @property
    def scan_since(self) -> date:
        return self.since or self.settings.imap.since

    def start(self, cleanup: ExitStack) -> MailSource | None:
        """Open the mailbox(es) and start logging in now (MailSource.connect_ahead), so that the network's round
        trips overlap the rest of the start-up and several mailboxes log in at once; ``cleanup`` closes them. The
        one source, or None for several [[mailboxes]]: each then opens to its started source, or fails with what
        starting it met, as that mailbox's own error when its turn comes."""
        if not self.mailboxes:
            return _opened_ahead(self.open_source, cleanup)
        self.mailboxes = [_started(box, cleanup) for box in self.mailboxes]
        return None


def _opened_ahead(open_source: Callable[[], MailSource], cleanup: ExitStack) -> MailSource:
    source = open_source()
    cleanup.callback(source.close)  # registered before the login starts: whatever follows fails, it is closed
    source.connect_ahead()
    return source


def _started(box: Mailbox, cleanup: ExitStack) -> Mailbox:
    try:
        source = _opened_ahead(box.open, cleanup)
    except (VerifierError, OSError) as err:
        failure = err

        def fail() -> MailSource:
            raise failure

        return replace(box, open=fail)
    return replace(box, open=lambda: source)


def open_session(config_path: str | None, mailbox: str | None, demo: bool, *, interactive: bool) -> Session:
    """``interactive``: a person is at a terminal, so a missing password may be asked for (never under cron)."""
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
        boxes = settings.all_mailboxes()
        chosen = next((box for box in boxes if mailbox and box.label == mailbox), None)
        if chosen is not None:  # `--mailbox NAME` picks one of the configured mailboxes
            session = _single(settings, chosen, interactive)
        elif mailbox:
            open_local(mailbox)  # fail early, with its one-line error, if the path is wrong
            # A configured address says who the user is; without one, the mails' recipients do (recognise/voice.py).
            voice = for_account(None, settings.imap.username) if settings.imap.username else None
            session = Session(settings, lambda: open_local(mailbox), voice=voice)
        elif len(boxes) > 1:
            session = Session(settings, _needs_one(boxes), [_mailbox(box, interactive) for box in boxes])
        elif boxes and boxes[0].mailbox:
            session = _single(settings, boxes[0], interactive)
        else:
            voice = for_account(settings.imap.host, settings.imap.username)
            session = Session(settings, _imap_opener(settings.imap, interactive), voice=voice)
    if not settings.groups:
        raise ConfigError(key="no_groups")
    return session


def _single(settings: Settings, box: MailboxSettings, interactive: bool) -> Session:
    if box.mailbox:
        spec = box.mailbox
        open_local(spec)
        return Session(settings, lambda: open_local(spec), since=box.since)
    return Session(settings, _imap_opener(box, interactive), since=box.since, voice=for_account(box.host, box.username))


def _needs_one(boxes: list[MailboxSettings]) -> Callable[[], MailSource]:
    def refuse() -> MailSource:
        names = ", ".join(box.label for box in boxes)
        raise ConfigError(key="one_mailbox_at_a_time", names=names)

    return refuse


def _mailbox(box: MailboxSettings, interactive: bool) -> Mailbox:
    """Opened lazily: a sign-in that cannot be set up here is this mailbox's error, not the whole check's."""
    if box.mailbox:
        spec = box.mailbox

        def open_one() -> MailSource:
            return open_local(spec)
    else:

        def open_one() -> MailSource:
            return _imap_opener(box, interactive)()

    voice = for_account(None if box.mailbox else box.host, box.username) if box.username else None
    return Mailbox(box.label, open_one, box.since, voice)


def _imap_opener(settings: ImapSettings, interactive: bool) -> Callable[[], MailSource]:
    from verifier.signin.credentials import PasswordLogin, credentials_for
    from verifier.signin.providers import with_preset
    from verifier.sources.imap import ImapSource

    imap = with_preset(settings)
    credentials = credentials_for(imap, interactive=interactive)
    if isinstance(credentials, PasswordLogin):
        # ask (or run password_command) once per run, however often `watch` reconnects; tokens stay fresh per connect
        credentials = PasswordLogin(cache(credentials.password))
    return lambda: ImapSource(imap, credentials)
