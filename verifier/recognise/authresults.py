"""Authentication-Results (RFC 8601) read with a real parser: a ``;`` or ``=`` inside a quoted string or a comment
never starts a new result, so a sender cannot smuggle ``dkim=pass header.d=…`` into a quoted value.

The ``authres`` library parses the standard form (authserv-id first, as Gmail writes it). Outlook.com writes no
authserv-id at all, which ``authres`` rejects; for that form (and anything else it refuses) a small tokenizer here
honours the same quoting and comment rules."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_ARC_INSTANCE = re.compile(r"^\s*i\s*=\s*(\d+)\s*;", re.IGNORECASE)
_PAIR = re.compile(r'([^\s=]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s"]+)')
MAX_HEADER_CHARS = 16_000  # a real one is < 2 kB; a longer one is not read (never evidence)


@dataclass(frozen=True)
class AuthResult:
    method: str  # "dkim", "dmarc", "spf", …
    result: str  # "pass", "fail", …
    props: dict[str, str] = field(default_factory=dict)  # "header.d" → "mail.instagram.com" (lower-cased)


@dataclass(frozen=True)
class AuthHeader:
    authserv_id: str  # "" when the header names none (Outlook.com's form)
    results: tuple[AuthResult, ...]


def _strip_comments(text: str) -> str:
    """Comments (nested parentheses) become a space; quoted strings are kept as they are, parentheses and all."""
    out: list[str] = []
    depth = 0
    quoted = escaped = False
    for char in text:
        if escaped:
            escaped = False
            if depth == 0:
                out.append(char)
            continue
        if char == "\\":
            escaped = True
            if depth == 0:
                out.append(char)
            continue
        if quoted:
            quoted = char != '"'
            out.append(char)
        elif char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
            if not depth:
                out.append(" ")
        elif depth == 0:
            quoted = char == '"'
            out.append(char)
    return "".join(out)


def _clauses(text: str) -> list[str]:
    """Split on ``;`` outside quoted strings (comments are already gone)."""
    clauses, current = [], []
    quoted = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == ";" and not quoted:
            clauses.append("".join(current))
            current = []
            continue
        current.append(char)
    clauses.append("".join(current))
    return [c.strip() for c in clauses]


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = re.sub(r"\\(.)", r"\1", value[1:-1])
    return value.strip().lower()


def _own_parse(text: str) -> AuthHeader:
    clauses = _clauses(_strip_comments(text))
    authserv_id = ""
    if clauses and "=" not in clauses[0]:
        authserv_id = clauses.pop(0).split()[0].lower() if clauses[0].split() else ""
    results = []
    for clause in clauses:
        pairs = _PAIR.findall(clause)
        if not pairs:
            continue
        (method, result), props = pairs[0], pairs[1:]
        results.append(AuthResult(method.lower(), _unquote(result), {k.lower(): _unquote(v) for k, v in props}))
    return AuthHeader(authserv_id, tuple(results))


def _with_authres(text: str) -> AuthHeader | None:
    import authres  # the RFC 8601 grammar, with its quoting and comment rules

    try:
        header = authres.AuthenticationResultsHeader.parse("Authentication-Results: " + text)
    except Exception:  # authres raises its own SyntaxError, and more on odd input: use the tokenizer instead
        return None
    results = []
    for result in header.results:
        props = {f"{p.type}.{p.name}".lower(): str(p.value or "").strip().lower() for p in result.properties}
        results.append(AuthResult(str(result.method).lower(), str(result.result).lower(), props))
    return AuthHeader(str(header.authserv_id or "").lower(), tuple(results))


def parse(value: str) -> AuthHeader | None:
    """One Authentication-Results value; None when it is too long to be real."""
    text = " ".join(value.split())
    if len(text) > MAX_HEADER_CHARS:
        return None
    first = _clauses(_strip_comments(text))[0]
    if "=" in first:  # no authserv-id (Outlook.com): authres would take it for a syntax error
        return _own_parse(text)
    return _with_authres(text) or _own_parse(text)


def parse_arc(value: str) -> tuple[int, AuthHeader | None]:
    """ARC-Authentication-Results: its instance ``i=N`` and the results after it."""
    match = _ARC_INSTANCE.match(value)
    if not match:
        return 0, None
    return int(match.group(1)), parse(value[match.end() :])
