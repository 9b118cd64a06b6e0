"""Mail provider presets (verifier/data/providers.toml): host, port and login hint chosen by the address's domain."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from functools import cache

from verifier import data as data_files
from verifier.config import AuthKind, ImapSettings
from verifier.errors import ConfigError


@dataclass(frozen=True)
class Preset:
    key: str  # "outlook", "gmx", …
    label: str
    domains: tuple[str, ...]
    host: str
    port: int
    auth: AuthKind
    hints: dict[str, str]
    steps: dict[str, str]  # what to do once before the first login (app password, IMAP switch); may be empty

    def hint(self, lang: str = "en") -> str:
        return self.hints.get(lang) or self.hints["en"]

    def step(self, lang: str = "en") -> str:
        return self.steps.get(lang) or self.steps.get("en", "")


@cache
def _data() -> dict:
    return data_files.load("providers.toml")


@cache
def presets() -> dict[str, Preset]:
    data = _data()
    generic = data["generic"]["hint"]
    return {
        key: Preset(
            key=key,
            label=entry["label"],
            domains=tuple(entry["domains"]),
            host=entry["host"],
            port=int(entry.get("port", 993)),
            auth=entry.get("auth", "password"),
            hints=dict(entry.get("hint", generic)),
            steps=dict(entry.get("step", {})),
        )
        for key, entry in data["providers"].items()
    }


def generic_hint(lang: str = "en") -> str:
    hints = _data()["generic"]["hint"]
    return hints.get(lang) or hints["en"]


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].strip().lower().rstrip(".")


def preset_for_address(address: str) -> Preset | None:
    """The preset for an address's domain, or None: then the user must give host and port."""
    domain = domain_of(address)
    if not domain:
        return None
    for preset in presets().values():
        if any(fnmatch.fnmatchcase(domain, pattern) for pattern in preset.domains):
            return preset
    return None


def preset_for_host(host: str | None) -> Preset | None:
    """The preset whose server this is (also for an own domain hosted at a known provider)."""
    wanted = (host or "").strip().lower().rstrip(".")
    return next((p for p in presets().values() if p.host == wanted), None)


def login_hint(host: str | None, username: str | None, lang: str = "en") -> str:
    preset = preset_for_host(host) if host else preset_for_address(username or "")
    return preset.hint(lang) if preset else generic_hint(lang)


def with_preset(settings: ImapSettings) -> ImapSettings:
    """Without imap.host, take host and port from the preset of the username's domain (nothing else changes)."""
    if settings.host or not settings.username:
        return settings
    preset = preset_for_address(settings.username)
    if preset is None:
        raise ConfigError(key="no_preset", domain=domain_of(settings.username))
    return settings.model_copy(update={"host": preset.host, "port": preset.port})


def auth_kind(settings: ImapSettings) -> AuthKind:
    """imap.auth if set; token_command implies "oauth2-command"; else the provider preset's way; else a password."""
    if settings.auth:
        return settings.auth
    if settings.token_command:
        return "oauth2-command"
    # By host only: a user naming their own server (a test server too) decides the login, not the address.
    preset = preset_for_host(settings.host) if settings.host else preset_for_address(settings.username or "")
    return preset.auth if preset else "password"  # type: ignore[return-value]
