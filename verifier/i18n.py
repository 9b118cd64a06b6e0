"""UI text per language, from data files (verifier/data/ui/*.toml); picks German or English from the locale."""

from __future__ import annotations

import os
from functools import cache

from verifier import data as data_files

LANGUAGES = ("de", "en")


@cache
def catalogue(lang: str) -> dict:
    return data_files.load("ui", f"{lang}.toml")


def _language_of(value: str) -> str | None:
    """'de_DE.UTF-8', 'de-AT', 'DE' → 'de'; a language we do not speak → None."""
    code = value.strip().replace("-", "_").split("_")[0].split(".")[0].split("@")[0].lower()
    return code if code in LANGUAGES else None


def default_language() -> str:
    """As GNU gettext chooses: LANGUAGE (a colon-separated list, first language we speak wins) before the locale
    (LC_ALL, then LC_MESSAGES, then LANG), except that a locale set to C/POSIX switches LANGUAGE off. An unset locale
    does not: people who type LANGUAGE=de on a bare container mean it."""
    locale = next((os.environ[v] for v in ("LC_ALL", "LC_MESSAGES", "LANG") if os.environ.get(v)), "")
    if locale.split(".")[0] not in ("C", "POSIX"):
        for entry in os.environ.get("LANGUAGE", "").split(":"):
            if entry and (found := _language_of(entry)):
                return found
    return _language_of(locale) or "en"


def _has(data: dict, key: str) -> bool:
    node: object = data
    for part in key.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return isinstance(node, str)


_FLEXIBLE = {" ": "[\\s\u00ad\u200b]+", "'": "['’‘ʼ´]", '"': '["“”„«»]'}


def quoted_as_in(phrase: str, text: str, t: Texts) -> str:
    """The phrase as the mail writes it (its case, its typographic quotes), found case-folded and across line
    breaks; set in quotation marks only when found there, since a quote must be what the mail says."""
    import re
    import unicodedata

    pattern = "".join(_FLEXIBLE.get(char, re.escape(char)) for char in " ".join(phrase.split()))
    found = re.search(pattern, unicodedata.normalize("NFKC", text), flags=re.IGNORECASE)
    if found:
        return t("words.quote", text=" ".join(found.group(0).split()))
    return t("words.paraphrase", text=phrase)


_active: list[str] = []  # the language the command line chose, for the few texts deep below it (prompts, warnings)


def use(lang: str) -> None:
    """Called by the command line once it knows the language (and again for `check --lang de`)."""
    _active[:] = [lang]


def active() -> Texts:
    """The texts in the language of this run: for a password prompt or a warning deep in the scan, where passing the
    language down every call would thread it through layers that otherwise never speak to the user."""
    return Texts(_active[0] if _active else default_language())


class Texts:
    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else "en"
        self._data = catalogue(self.lang)

    def __call__(self, key: str, **values: object) -> str:
        node: object = self._data
        for part in key.split("."):
            node = node[part] if isinstance(node, dict) and part in node else None
        if not isinstance(node, str):
            node = catalogue("en")
            for part in key.split("."):
                node = node[part]
        return node.format(**values)

    def checks(self, checks: str) -> str:
        """The provider's results as recognise/trust.py words them ("dkim=pass for x.com, dmarc=fail") in words."""
        words = []
        for item in checks.split(", "):
            method, _, rest = item.partition("=")
            result, _, domain = rest.partition(" for ")
            key = f"check.{method}_{result}"
            words.append(self(key, domain=domain) if _has(self._data, key) else item)
        return self("check.joined", first=", ".join(words[:-1]), last=words[-1]) if len(words) > 1 else words[0]

    def reason(self, reason: object, text: str | None = None) -> str:
        """A classification reason (recognise.reasons.Reason) in this language; a kind parameter is translated too."""
        params = dict(getattr(reason, "params", {}))
        if "kind" in params:
            params["kind"] = self(f"kind.{params['kind']}")
        if "what" in params:  # what a notification passes on: "comment", "message", …
            params["what"] = self(f"notification.{params['what']}")
        if "language" in params:  # "de" → "deutsch": a reader does not know language codes
            params["language"] = (
                self(f"language.{params['language']}") if params["language"] in LANGUAGES else (params["language"])
            )
        if "more" in params:  # "and 3 more typical passages", never "signal(s)"
            n = int(params["more"]) if str(params["more"]).isdigit() else 0
            params["more"] = self(f"words.more_{n if n < 2 else 'n'}", n=n)
        if "checks" in params:
            params["checks"] = self.checks(str(params["checks"]))
        if text is not None and "phrase" in params:
            params["phrase"] = quoted_as_in(str(params["phrase"]), text, self)
        elif "phrase" in params:  # no mail text to quote from: say that the words are not the mail's own
            params["phrase"] = self("words.paraphrase", text=params["phrase"])
        try:
            return self(f"reason.{getattr(reason, 'code', '')}", **params)
        except (KeyError, IndexError, TypeError):  # an unknown code or a missing parameter: still say something
            return str(getattr(reason, "code", ""))

    def date(self, value: object) -> str:
        from datetime import date, datetime

        if not isinstance(value, date):
            return "?"
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone()  # the day where the user is, not where the sender's clock was
        return value.strftime(self("format.date"))

    def when(self, value: object, *, seconds: bool = False) -> str:
        """Date and time in this machine's time zone, the zone named ("05.06.2024, 20:24 (CEST)"); one style per
        language, everywhere a person reads. Machine records (JSON, the evidence record) keep UTC."""
        from datetime import datetime

        if not isinstance(value, datetime):
            return "?"
        local = value.astimezone()
        zone = local.tzname() or local.strftime("UTC%z")
        time = local.strftime("%H:%M:%S" if seconds else "%H:%M")
        return self("format.datetime", date=self.date(local), time=time, zone=zone)

    def platform(self, value: str | None) -> str:
        """Instagram, Facebook: as the platforms write their names."""
        return self(f"platform.{value}") if value in ("instagram", "facebook") else (value or "–")

    def source(self, description: str) -> str:
        """Where the mails came from, in words: the scan keys its archive state by the English description, so it
        stays as it is and is only worded here."""
        if description.startswith("demo mailbox (") and description.endswith(")"):
            return self("source.demo", address=description[len("demo mailbox (") : -1])
        if description.startswith("evidence archive: "):
            mailboxes = description[len("evidence archive: ") :].split("; ")
            return self("source.archive", mailboxes=", ".join(self.source(m) for m in mailboxes))
        user, at, host = description.partition(" at ")
        if at and "@" in user and " " not in host:
            return self("source.imap", user=user, host=host)
        return description
