"""Reading the address a browser landed on after a sign-in (https://localhost/?code=…&state=…) from what was pasted."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse


def parse_landing(text: str, redirect_uri: str) -> dict[str, str] | None:
    """The answer's parameters, or None when ``text`` is not the redirect address (nor its bare query).

    Terminals and mail programs add quotes, angle brackets or spaces around a pasted address: those are dropped. An
    address on another host is refused, so a link copied from somewhere else is never taken for the answer.
    """
    cleaned = "".join(text.split()).strip("<>\"'")
    if not cleaned:
        return None
    parsed = urlparse(cleaned)
    if parsed.scheme:
        expected = urlparse(redirect_uri)
        if (parsed.scheme.lower(), parsed.hostname) != (expected.scheme.lower(), expected.hostname):
            return None
        query = parsed.query or parsed.fragment  # form_post is never asked for; a fragment only by a misconfiguration
    else:
        query = cleaned.lstrip("?")
    params = {key: values[0] for key, values in parse_qs(query).items()}
    return params if ("code" in params or "error" in params) else None
