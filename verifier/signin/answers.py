"""Reading the answers `init` gets (typed at a prompt or given as options): pure parsers that either return the value
or raise a Slip naming, by catalogue key, what was wrong, so the wizard can re-ask that one question."""

from __future__ import annotations

import difflib
import re
from urllib.parse import parse_qs, urlparse

from verifier.config import GUID, Account, Group
from verifier.errors import ConfigError

PLATFORMS = ("instagram", "facebook")
# what people write for them: "fb:lord.canterville.5", "ig:lord.canterville", "insta:…"
PLATFORM_SHORT = {"fb": "facebook", "ig": "instagram", "insta": "instagram"}
# Instagram: letters, digits, "." and "_" (30 at most); Facebook: letters, digits and "." (50); a profile ID: digits.
USERNAME = re.compile(r"^[A-Za-z0-9._]{1,50}$")
PROFILE_HOSTS = {
    "instagram.com": "instagram", "instagr.am": "instagram", "facebook.com": "facebook", "fb.com": "facebook"
}  # fmt: skip
# First path parts that are pages, not profiles (a pasted post or reel link names no account by itself).
NOT_PROFILES = {"p", "reel", "reels", "stories", "explore", "accounts", "tv", "direct", "groups", "pages",
                "events", "watch", "share", "photo", "photo.php", "permalink.php", "story.php", "marketplace",
                "help"}  # fmt: skip
TLS_MODES = ("auto", "implicit", "starttls", "none")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


class Slip(ConfigError):
    """An answer that cannot be used; ``key`` (under [setup.slip] in the UI catalogues) says why in plain words."""

    def __init__(self, key: str, **params: str) -> None:
        super().__init__(f"{key}: {params}")
        self.key, self.params = key, params

    def say(self, t) -> str:
        return t(f"setup.slip.{self.key}", **self.params)

    def text(self, lang: str) -> str:
        from verifier.i18n import Texts

        return self.say(Texts(lang))


def parse_email(text: str) -> str:
    address = text.strip().strip("<>\"'").removeprefix("mailto:")
    if not EMAIL.match(address):
        raise Slip("email", answer=text.strip())
    return address


def parse_port(text: str) -> int:
    try:
        port = int(text.strip())
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise Slip("port", answer=text.strip())
    return port


def parse_tls(text: str) -> str:
    mode = text.strip().lower()
    if mode not in TLS_MODES:
        raise Slip("tls", answer=text.strip(), choices=", ".join(TLS_MODES))
    return mode


def parse_client_id(text: str, *, guid: bool = True) -> str | None:
    """An app's client ID; empty means "later" (None). Microsoft's are GUIDs; Google's are not checked."""
    value = "".join(text.split()).strip("\"'{}")
    if not value:
        return None
    if guid and not GUID.match(value):
        raise Slip("client_id", answer=text.strip())
    return value


def parse_account(item: str) -> Account:
    item = item.strip().strip("<>\"'")
    lowered = item.lower()
    if "://" in item or lowered.startswith(("www.", "m.", *PROFILE_HOSTS)):
        return _from_profile_address(item)
    platform, sep, name = item.rpartition(":")
    platform = platform.strip().lower() if sep else "instagram"  # a bare name means Instagram
    platform = PLATFORM_SHORT.get(platform, platform)
    name = name.strip().lstrip("@")
    if platform not in PLATFORMS:
        guess = difflib.get_close_matches(platform, PLATFORMS, n=1, cutoff=0.5)
        if guess:
            raise Slip("platform_guess", answer=item, suggestion=f"{guess[0]}:{name}")
        raise Slip("platform", answer=item)
    if not USERNAME.match(name):
        raise Slip("username", answer=item)
    return Account(platform=platform, username=name)


def _from_profile_address(text: str) -> Account:
    url = urlparse(text if "://" in text else "https://" + text)
    host = (url.hostname or "").lower()
    platform = next((p for h, p in PROFILE_HOSTS.items() if host == h or host.endswith("." + h)), None)
    if platform is None:
        raise Slip("profile_host", answer=text)
    parts = [part for part in url.path.split("/") if part]
    if platform == "facebook" and parts[:1] == ["profile.php"]:
        name = parse_qs(url.query).get("id", [""])[0]  # a profile without a username: its number stands in
    elif platform == "facebook" and parts[:1] == ["people"] and len(parts) >= 3:
        name = parts[2]  # facebook.com/people/First-Last/1000123…
    elif not parts or parts[0].lower() in NOT_PROFILES:
        raise Slip("profile_path", answer=text)
    else:
        name = parts[0].lstrip("@")
    if not USERNAME.match(name):
        raise Slip("profile_path", answer=text)
    return Account(platform=platform, username=name)


def parse_accounts(text: str) -> list[Account]:
    """ "instagram:lord.canterville facebook:lord.canterville.5", commas or spaces, profile addresses too."""
    normalised = re.sub(r"\s*:\s*(?!//)", ":", text.strip())  # "instagram: name" is one account, not two
    accounts: list[Account] = []
    for item in re.split(r"[\s,;]+", normalised):
        if item:
            account = parse_account(item)
            if account not in accounts:
                accounts.append(account)
    if not accounts:
        raise Slip("no_accounts")
    return accounts


def parse_group_option(text: str) -> Group:
    name, sep, accounts = text.partition("=")
    if not sep or not name.strip():
        raise Slip("group_option", answer=text)
    return Group(name=name.strip(), accounts=parse_accounts(accounts))
