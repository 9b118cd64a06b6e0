"""Which OAuth2 client a Microsoft sign-in uses: a named public client from data/oauth_clients.toml, or the user's
own app registration (imap.oauth2_client_id, a GUID)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from verifier import data as data_files
from verifier.config import GUID, ImapSettings
from verifier.errors import ConfigError

# An own registration is set up for the device-code flow (README, option b); a redirect to https://localhost works
# only if its owner added that redirect, so the code flow comes second there.
OWN_FLOWS = ("device", "code")
OWN_REDIRECT = "https://localhost"


@dataclass(frozen=True)
class OAuthClient:
    key: str  # "thunderbird", or "own" for the user's registration
    label: str
    client_id: str
    redirect_uri: str
    flows: tuple[str, ...]


@cache
def named_clients() -> dict[str, OAuthClient]:
    data = data_files.load("oauth_clients.toml")
    return {
        key: OAuthClient(key, entry["label"], entry["client_id"], entry["redirect_uri"], tuple(entry["flows"]))
        for key, entry in data.items()
    }


def is_guid(value: str) -> bool:
    return bool(GUID.match(value.strip()))


def microsoft_client(settings: ImapSettings) -> OAuthClient:
    """The client for imap.oauth2_client or imap.oauth2_client_id; a ConfigError naming the key otherwise."""
    name, own = settings.oauth2_client, settings.oauth2_client_id
    if name and own:
        raise ConfigError(key="oauth_client_twice")
    if name:
        known = named_clients()
        if name.lower() not in known:
            known_names = ", ".join(sorted(known))
            raise ConfigError(key="unknown_oauth_client", option="imap.oauth2_client", name=name, known=known_names)
        return known[name.lower()]
    if not own:
        raise ConfigError(key="oauth_no_client")
    if not is_guid(own):
        raise ConfigError(key="oauth_client_id", value=own)
    return OAuthClient("own", "your app registration", own.strip(), OWN_REDIRECT, OWN_FLOWS)
