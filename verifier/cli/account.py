"""`login` and `init`: signing in once, and writing a first config file."""

from __future__ import annotations

import sys

import click

from verifier.cli import common


@click.command()
@click.option("--mailbox", "name", help="Which of the config's [[mailboxes]] (by name); default: [imap].")
@click.pass_obj
def login(obj: dict, name: str | None) -> None:
    """Sign in once: Outlook.com/Gmail in the browser (the sign-in is kept for later runs), or keep the password in
    the system keyring or a file only you can read. Then tests the login, read-only."""
    from verifier.cli.wizard import Asker, choose_password_place
    from verifier.config import load_settings, resolve_config_path
    from verifier.i18n import Texts
    from verifier.signin.login import NoPasswordPlace, default_password_file, sign_in
    from verifier.signin.setup import add_imap_key

    path = resolve_config_path(obj["config_path"])
    settings = load_settings(path)

    def tell(text: str) -> None:
        click.echo(text, err=True)

    def attempt(imap):
        return sign_in(imap, at_terminal=common.at_terminal(), config_path=path, lang=obj["lang"], tell=tell)

    imap = _chosen_imap(settings, name)
    try:
        message = attempt(imap)
    except NoPasswordPlace:
        if not common.at_terminal() or imap is not settings.imap:
            raise  # a [[mailboxes]] entry gets its password_command in its own table; the wizard writes [imap] only
        # No keyring here: offer the other places before any password is typed, and remember the choice.
        t = Texts(obj["lang"])
        key, value = choose_password_place(t, Asker(t, True), default_password_file(path), later=False)
        add_imap_key(path, key, value)
        message = attempt(settings.imap.model_copy(update={key: value}))
    click.echo(message)


def _chosen_imap(settings: object, name: str | None) -> object:
    """[imap], or the [[mailboxes]] IMAP entry `--mailbox NAME` names (the only one, if [imap] names no account)."""
    from verifier.errors import ConfigError

    imap = settings.imap  # type: ignore[attr-defined]
    if name is None and (imap.username or not settings.mailboxes):  # type: ignore[attr-defined]
        return imap
    boxes = [box for box in settings.all_mailboxes() if not box.mailbox]  # type: ignore[attr-defined]
    chosen = [box for box in boxes if box.label == name] if name is not None else boxes
    if len(chosen) != 1:
        names = ", ".join(box.label for box in boxes) or "–"
        if name is None:
            raise ConfigError(key="several_imap_mailboxes", names=names)
        raise ConfigError(key="no_imap_mailbox_named", name=name, names=names)
    return chosen[0]


@click.command()
@click.option("--email", help="The mailbox address (usually the one you typed into Meta's form).")
@click.option("--provider", help="A preset by name (e.g. ionos) for an own domain at a known provider.")
@click.option("--host", help="IMAP server, for a domain without a preset.")
@click.option("--port", type=int, help="IMAP port (default 993).")
@click.option(
    "--tls",
    type=click.Choice(["auto", "implicit", "starttls", "none"]),
    help="TLS: auto (993 → implicit, else STARTTLS or detected), implicit, starttls, none (127.0.0.1 only).",
)
@click.option("--ca-file", help="CA bundle (PEM) of a self-hosted server with its own certificate authority.")
@click.option(
    "--auth",
    type=click.Choice(["password", "oauth2-microsoft", "oauth2-google", "oauth2-command"]),
    help="How to log in (default: the provider's way).",
)
@click.option("--password-command", help="A command that prints the password.")
@click.option("--password-file", help="A file only you can read, holding the password (for machines without keyring).")
@click.option("--token-command", help="A command that prints an OAuth2 access token.")
@click.option("--oauth2-client", help='Outlook.com: sign in through a public client by name (default "thunderbird").')
@click.option("--client-id", help="Your own OAuth2 client (app) ID.")
@click.option("--authority", help="Microsoft: consumers (default), organizations, common, or a tenant.")
@click.option("--group", "groups", multiple=True, metavar="NAME=PLATFORM:USER,…", help="An Accounts Center group.")
@click.option(
    "--timestamp-url",
    metavar="URL",
    help="An RFC 3161 timestamp authority for the kept mails and the PDF (it sees only a hash). Default: none.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing config file.")
@click.option("--skip-login", is_flag=True, help="Do not test the login (offline set-up).")
@click.option("--non-interactive", is_flag=True, help="Ask nothing; take everything from the options.")
@click.pass_obj
def init(obj: dict, **answers: object) -> None:
    """Write a commented config file (mode 0600): asks for your address, how to log in, and your Accounts Center
    groups, then signs in or tests the login (read-only)."""
    from verifier.cli.wizard import run_init
    from verifier.config import resolve_config_path

    code = run_init(
        resolve_config_path(obj["config_path"]), answers, lang=obj["lang"], at_terminal=common.at_terminal()
    )
    sys.exit(code)
