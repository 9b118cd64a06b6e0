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

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from verifier.errors import ConfigError

ENV_PREFIX = "VERIFY_OBJECTION_"
CONFIG_ENV = "VERIFY_OBJECTION_CONFIG"
FIRST_CAMPAIGN = date(2024, 5, 1)

Platform = Literal["instagram", "facebook"]
AuthKind = Literal["password", "oauth2-microsoft", "oauth2-google", "oauth2-command"]
log = logging.getLogger(__name__)
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class Account(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platform: Platform
    username: str = Field(min_length=1)
    name: str | None = None  # Facebook greets by first name; the full name lets us match that greeting

    @field_validator("username")
    @classmethod
    def _strip_at(cls, value: str) -> str:
        return value.strip().lstrip("@")


class Group(BaseModel):
    """One Accounts Center ("Kontenübersicht"): one objection covers every account in it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    accounts: list[Account] = Field(min_length=1)


class ImapSettings(BaseModel):
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

    @field_validator("oauth2_client_id")
    @classmethod
    def _microsoft_id_is_a_guid(cls, value: str | None, info: ValidationInfo) -> str | None:
        # Google's client IDs are not GUIDs, so only an explicit Microsoft sign-in is checked here (and again at use).
        if value and info.data.get("auth") == "oauth2-microsoft" and not GUID.match(value.strip()):
            raise ValueError("not an application (client) ID; it looks like 00000000-0000-0000-0000-000000000000")
        return value.strip() if value else value


class ArchiveSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Where the evidence archive (SQLite) lives; empty = the user data dir (~/.local/share/verify-objection on Linux).
    path: str = ""
    # An RFC 3161 timestamp authority (TSA): every kept mail and the proof PDF get a token from it. Empty = none is
    # ever contacted. The TSA sees only a SHA-256 hash, never the mail.
    timestamp_url: str = ""
    # PEM file with the TSA's CA, for a TSA whose chain is not in the system store (freetsa.org); empty = system store
    timestamp_ca_file: str = ""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid", case_sensitive=False
    )

    imap: ImapSettings = ImapSettings()
    archive: ArchiveSettings = ArchiveSettings()
    groups: list[Group] = []

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
    """Read and validate ``path``; every problem becomes one ConfigError line naming the key and the file."""
    if not path.is_file():
        if must_exist:
            raise ConfigError(
                f"No configuration at {path}. Copy config.example.toml there and fill it in, "
                "or pass --config PATH (or --mailbox PATH for a local mailbox)."
            )
        return _settings_from(None)
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)  # surface syntax errors with their line before pydantic sees the file
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML ({err}). Fix that line and run again.") from None
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the file ({err.strerror}).") from None
    imap = raw.get("imap")
    if isinstance(imap, dict) and imap.get("password"):
        _warn_if_readable_by_others(path)
    return _settings_from(path)


def _warn_if_readable_by_others(path: Path) -> None:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning(
            "%s holds imap.password and other users may read it (mode %03o): run `chmod 600 %s`, or better use "
            "`verify-objection login` (system keyring) or imap.password_command.",
            path,
            stat.S_IMODE(mode),
            path,
        )


def _settings_from(path: Path | None) -> Settings:
    class FileSettings(Settings):
        model_config = SettingsConfigDict(toml_file=path)

    try:
        return FileSettings()
    except ValidationError as err:
        raise ConfigError(describe_validation_error(err, path)) from None


def describe_validation_error(err: ValidationError, path: Path | None) -> str:
    first = err.errors()[0]
    key = _dotted(first["loc"])
    where = str(path) if path else "environment"
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = "unknown key (a typo? see config.example.toml for the valid keys)"
    elif "input" in first and not isinstance(first["input"], dict | list) and "password" not in key:
        message = f"{message} (got {first['input']!r})"
    more = len(err.errors()) - 1
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return f"{where}: {key}: {message}{tail}"


def _dotted(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1]}[{item + 1}]" if parts else f"[{item + 1}]"]
        else:
            parts.append(item)
    return ".".join(parts) or "(top level)"
