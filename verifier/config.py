"""The user's configuration: a TOML file plus VERIFY_OBJECTION_* environment overrides, validated into typed models."""

from __future__ import annotations

import logging
import os
import stat
import tomllib
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
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
    model_config = TRIMMED

    host: str | None = None
    port: int = Field(993, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None
    password_command: str | None = None
    # How to log in; unset = the provider preset's way (OAuth2 for Outlook.com), else "password".
    auth: AuthKind | None = None
    token_command: str | None = None  # prints an OAuth2 access token (any existing OAuth2 helper)
    oauth2_client_id: str | None = None
    oauth2_client_secret: SecretStr | None = None  # Google's "installed app" clients have one; Microsoft's do not
    oauth2_authority: str = "consumers"  # Microsoft: consumers, organizations, common, a tenant, or an https URL
    folders: list[str] = []
    since: date = FIRST_CAMPAIGN
    ca_file: str = ""
    tls: Literal["auto", "implicit", "starttls", "none"] = "auto"
    timeout: float = Field(30.0, gt=0, le=600)


class ArchiveSettings(BaseModel):
    model_config = TRIMMED

    # Where the evidence archive (SQLite) lives; empty = the user data dir (~/.local/share/verify-objection on Linux).
    path: str = ""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        case_sensitive=False,
        str_strip_whitespace=True,
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


class Problem(BaseModel):
    """One thing wrong in a config: where (a dotted key), and a catalogue entry ``config_problem.<code>``."""

    key: str
    code: str
    params: dict[str, str] = {}


class ConfigProblems(ConfigError):
    """Every problem of one config at once, one line each, so a user fixes them in one go (unknown keys first:
    a typo like ``acounts`` also makes ``accounts`` "missing", and the typo is the thing to fix)."""

    def __init__(self, where: str, problems: list[Problem]) -> None:
        self.where, self.problems = where, problems
        super().__init__(key="config_problems")

    def text(self, lang: str) -> str:
        from verifier.i18n import Texts

        t = Texts(lang)
        where = self.where or t("error.environment")
        lines = [f"{problem.key}: {t('config_problem.' + problem.code, **problem.params)}" for problem in self.problems]
        if len(lines) == 1:
            return f"{where}: {lines[0]}"
        return t("error.config_problems", path=where, count=len(lines)) + "".join(f"\n  - {line}" for line in lines)


# pydantic's error types → our catalogue's words (data/ui, [config_problem]); anything else keeps pydantic's text.
_PYDANTIC_CODES = {
    "missing": "missing",
    "extra_forbidden": "unknown_key",
    "literal_error": "choice",
    "int_parsing": "integer",
    "int_type": "integer",
    "int_from_float": "integer",
    "float_parsing": "number",
    "float_type": "number",
    "bool_parsing": "boolean",
    "bool_type": "boolean",
    "date_parsing": "date",
    "date_from_datetime_parsing": "date",
    "date_type": "date",
    "string_type": "text",
    "list_type": "list",
    "model_type": "table",
    "too_short": "empty",
    "string_too_short": "empty",
    "greater_than_equal": "at_least",
    "greater_than": "above",
    "less_than_equal": "at_most",
}


def validation_problems(err: ValidationError) -> list[Problem]:
    problems: list[Problem] = []
    for error in err.errors():
        key = _dotted(error["loc"])
        code = _PYDANTIC_CODES.get(error["type"], "invalid")
        context = error.get("ctx") or {}
        params = {
            "detail": error["msg"],
            **{name: str(context.get(name, "")) for name in ("expected", "ge", "gt", "le")},
        }
        params["expected"] = params["expected"].replace(" or ", ", ")  # pydantic's English "a, b or c"
        value = error.get("input")
        shown = "password" not in key and "secret" not in key and not isinstance(value, dict | list)
        params["got"] = f" ({value!r})" if shown and "input" in error and code != "missing" else ""
        problems.append(Problem(key=key, code=code, params=params))
    return sorted(problems, key=lambda p: p.code != "unknown_key")  # stable: file order within each kind


def group_problems(groups: list[Group]) -> list[Problem]:
    """Two groups of one name, or one account in two groups: the report could not say which one is covered."""
    problems: list[Problem] = []
    names: dict[str, int] = {}
    accounts: dict[tuple[str, str], int] = {}
    for index, group in enumerate(groups, start=1):
        first = names.setdefault(group.name.casefold(), index)
        if first != index:
            problems.append(
                Problem(
                    key=f"groups[{index}].name",
                    code="duplicate_group",
                    params={"name": group.name, "other": f"groups[{first}]"},
                )
            )
        for position, account in enumerate(group.accounts, start=1):
            # usernames on Instagram and Facebook ignore case; "Lord.Canterville" is "lord.canterville"
            other = accounts.setdefault((account.platform, account.username.casefold()), index)
            if other != index:
                problems.append(
                    Problem(
                        key=f"groups[{index}].accounts[{position}]",
                        code="account_twice",
                        params={
                            "account": account.username,
                            "platform": account.platform,
                            "group": group.name,
                            "other": groups[other - 1].name,
                            "other_key": f"groups[{other}]",
                        },
                    )
                )
    return problems


def _dotted(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1]}[{item + 1}]" if parts else f"[{item + 1}]"]
        else:
            parts.append(item)
    return ".".join(parts) or "(top level)"
