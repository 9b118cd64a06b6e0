"""The user's configuration: a TOML file plus VERIFY_OBJECTION_* environment overrides, validated into typed models."""

from __future__ import annotations

import logging
import os
import re
import stat
import tomllib
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from verifier.config_problems import ConfigProblems, group_problems, validation_problems
from verifier.config_problems import problem as _problem
from verifier.errors import ConfigError

ENV_PREFIX = "VERIFY_OBJECTION_"
CONFIG_ENV = "VERIFY_OBJECTION_CONFIG"
FIRST_CAMPAIGN = date(2024, 5, 1)

Platform = Literal["instagram", "facebook"]
AuthKind = Literal["password", "oauth2-microsoft", "oauth2-google", "oauth2-command"]
log = logging.getLogger(__name__)
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


# Every string trimmed: `username = "Lord.Canterville@GMail.com "` is what a copy-paste gives, not a different user.
TRIMMED = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Account(BaseModel):
    model_config = TRIMMED

    platform: Platform
    username: str = Field(min_length=1)
    name: str | None = None  # Facebook greets by first name; the full name lets us match that greeting

    @field_validator("username")
    @classmethod
    def _strip_at(cls, value: str) -> str:
        return value.strip().lstrip("@")


class Group(BaseModel):
    """One Accounts Center ("Kontenübersicht"): one objection covers every account in it."""

    model_config = TRIMMED

    name: str = Field(min_length=1)
    accounts: list[Account] = Field(min_length=1)


class ImapSettings(BaseModel):
    # Trimmed field by field: a password (or client secret) is taken exactly as given, spaces and all; a line break
    # in one is refused where it is used, never quietly cut off here.
    model_config = ConfigDict(extra="forbid")

    host: str | None = None
    port: int = Field(993, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None
    password_command: str | None = None
    # A file holding only the password, readable by this user alone (0600; refused otherwise): for machines without
    # a system keyring, when no password manager is at hand.
    password_file: str | None = None
    # How to log in; unset = the provider preset's way (OAuth2 for Outlook.com), else "password".
    auth: AuthKind | None = None
    token_command: str | None = None  # prints an OAuth2 access token (any existing OAuth2 helper)
    # A public client by name (verifier/data/oauth_clients.toml), e.g. "thunderbird": no own registration needed.
    oauth2_client: str | None = None
    oauth2_client_id: str | None = None  # your own app registration (Microsoft: a GUID)
    oauth2_client_secret: SecretStr | None = None  # Google's "installed app" clients have one; Microsoft's do not
    oauth2_authority: str = "consumers"  # Microsoft: consumers, organizations, common, a tenant, or an https URL
    folders: list[str] = []
    since: date = FIRST_CAMPAIGN
    ca_file: str = ""
    tls: Literal["auto", "implicit", "starttls", "none"] = "auto"
    timeout: float = Field(30.0, gt=0, le=600)

    @field_validator(
        "host",
        "username",
        "password_command",
        "token_command",
        "oauth2_client_id",
        "oauth2_authority",
        "ca_file",
        mode="before",
    )
    @classmethod
    def _trim(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value

    @field_validator("oauth2_client_id")
    @classmethod
    def _microsoft_id_is_a_guid(cls, value: str | None, info: ValidationInfo) -> str | None:
        # Google's client IDs are not GUIDs, so only an explicit Microsoft sign-in is checked here (and again at use).
        if value and info.data.get("auth") == "oauth2-microsoft" and not GUID.match(value.strip()):
            raise _problem("not_a_client_id")
        return value.strip() if value else value


class MailboxSettings(ImapSettings):
    """One of several mailboxes (``[[mailboxes]]``): an IMAP account with the ``[imap]`` keys, or a local source."""

    name: str | None = None  # how reports call it; default: the username, or the local source as written
    mailbox: str | None = None  # any form `--mailbox` takes: maildir:PATH, mbox:PATH, thunderbird, a folder

    @model_validator(mode="after")
    def _imap_or_local(self) -> MailboxSettings:
        if self.mailbox is not None and (self.host or self.username):
            raise _problem("mailbox_and_account")
        if self.mailbox is None and not self.username:
            raise _problem("mailbox_needs_account")
        if self.mailbox is not None and not self.mailbox.strip():
            raise _problem("mailbox_empty")
        return self

    @property
    def label(self) -> str:
        return self.name or self.mailbox or self.username or "?"


class ArchiveSettings(BaseModel):
    model_config = TRIMMED

    # Where the evidence archive (SQLite) lives; empty = the user data dir (~/.local/share/verify-objection on Linux).
    path: str = ""
    # An RFC 3161 timestamp authority (TSA): every kept mail and the proof PDF get a token from it. Empty = none is
    # ever contacted. The TSA sees only a SHA-256 hash, never the mail.
    timestamp_url: str = ""
    # PEM file with the TSA's CA, for a TSA whose chain is not in the system store (freetsa.org); empty = system store
    timestamp_ca_file: str = ""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        case_sensitive=False,
    )

    imap: ImapSettings = ImapSettings()
    archive: ArchiveSettings = ArchiveSettings()
    groups: list[Group] = []
    mailboxes: list[MailboxSettings] = []  # several mailboxes in one check; [imap] with a username is one more

    @model_validator(mode="after")
    def _names_unique(self) -> Settings:
        labels = [box.label for box in self.all_mailboxes()]
        if twice := sorted({label for label in labels if labels.count(label) > 1}):
            raise _problem("mailboxes_one_name", name=twice[0])
        return self

    def all_mailboxes(self) -> list[MailboxSettings]:
        """Every mailbox a check reads: [imap] first (if it names an account), then each [[mailboxes]]."""
        if not self.imap.username:
            return list(self.mailboxes)
        return [MailboxSettings.model_validate(dict(self.imap)), *self.mailboxes]

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment beats the file; the file's path is only known at run time (see load_settings).
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))


def default_config_path() -> Path:
    from platformdirs import user_config_path

    return user_config_path("verify-objection") / "config.toml"


def resolve_config_path(cli_path: str | os.PathLike[str] | None) -> Path:
    if cli_path:
        return Path(cli_path)
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    return default_config_path()


def load_settings(path: Path, *, must_exist: bool = True) -> Settings:
    """Read and validate ``path``; every problem is named with its key and the file (ConfigProblems)."""
    if not path.is_file():
        if must_exist:
            raise ConfigError(key="no_config", path=path)
        return _settings_from(None)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ConfigError(key="config_unreadable", path=path, why=err.strerror) from None
    try:
        # a PDF or a UTF-16 file given by mistake is a usage error like any typo, never a crash
        raw = tomllib.loads(data.decode("utf-8"))  # syntax errors with their line, before pydantic sees the file
    except UnicodeDecodeError:
        raise ConfigError(key="config_not_text", path=path) from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(key="config_not_toml", path=path, why=str(err)) from None
    imap = raw.get("imap")
    if isinstance(imap, dict) and imap.get("password"):
        _warn_if_readable_by_others(path)
    return _settings_from(path)


def _warn_if_readable_by_others(path: Path) -> None:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        from verifier.i18n import active

        log.warning("%s", active()("cli.readable_password", path=path, mode=f"{stat.S_IMODE(mode):03o}"))


def _settings_from(path: Path | None) -> Settings:
    class FileSettings(Settings):
        model_config = SettingsConfigDict(toml_file=path)

    try:
        settings = FileSettings()
    except ValidationError as err:
        raise ConfigProblems(str(path) if path else "", validation_problems(err)) from None
    if problems := group_problems(settings.groups):
        raise ConfigProblems(str(path) if path else "", problems)
    return settings
