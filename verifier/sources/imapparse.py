"""FETCH responses parsed with one regular expression instead of imapclient's character-by-character lexer.

Measured (bench/run.py, 20k mails): imapclient's parse_fetch_response was the first run's largest cost on our side,
about 1 ms per BODYSTRUCTURE. The grammar of a FETCH response is small (lists, atoms, quoted strings, literals, NIL);
the result has imapclient's shape (tests/test_roundtrips.py compares both on real Dovecot answers), so everything
above keeps reading it as before. Anything malformed is a ProtocolError, as with imapclient.
"""

from __future__ import annotations

import re

from imapclient.exceptions import ProtocolError
from imapclient.response_types import BodyData

Piece = bytes | tuple[bytes, bytes]
# a list bracket, a quoted string, a literal's size at the end of a piece, or an atom (BODY[HEADER.FIELDS (X)]<0>
# is one atom: brackets may hold spaces and parentheses)
_TOKEN = re.compile(
    rb'[ ]*(?:(\()|(\))|"((?:[^"\\\r\n]|\\.)*)"|\{(\d+)\}\Z|([^ ()"{\[\]\r\n]+(?:\[[^\]\r\n]*\](?:<[0-9.]+>)?)?))',
)
_UNQUOTE = re.compile(rb"\\(.)")


def _tokens(pieces: list[Piece]) -> list[object]:
    """Flat tokens: b"(", b")" as markers (kept apart from data by identity), values otherwise."""
    out: list[object] = []
    for piece in pieces:
        text, literal = (piece, None) if isinstance(piece, bytes) else piece
        position, end = 0, len(text)
        while position < end:
            match = _TOKEN.match(text, position)
            if not match or match.end() == position:
                if text[position:].strip(b" ") == b"":
                    break
                raise ProtocolError(f"cannot parse FETCH data near {text[position : position + 30]!r}")
            position = match.end()
            opened, closed, quoted, size, atom = match.groups()
            if opened:
                out.append(_OPEN)
            elif closed:
                out.append(_CLOSE)
            elif quoted is not None:
                out.append(_UNQUOTE.sub(rb"\1", quoted))
            elif size is not None:
                if literal is None:
                    raise ProtocolError("a literal announced but not sent")
                out.append(literal)
                literal = None
            elif atom is not None:
                out.append(None if atom.upper() == b"NIL" else int(atom) if atom.isdigit() else atom)
        if literal is not None:
            raise ProtocolError("a literal without its announcement")
    return out


class _Marker:
    pass


_OPEN, _CLOSE = _Marker(), _Marker()


def _nest(tokens: list[object]) -> list[object]:
    stack: list[list[object]] = [[]]
    for token in tokens:
        if token is _OPEN:
            stack.append([])
        elif token is _CLOSE:
            if len(stack) == 1:
                raise ProtocolError("unbalanced parentheses in FETCH data")
            done = tuple(stack.pop())
            stack[-1].append(done)
        else:
            stack[-1].append(token)
    if len(stack) != 1:
        raise ProtocolError("unbalanced parentheses in FETCH data")
    return stack[0]


def parse_fetch(pieces: list[Piece]) -> dict[int, dict[bytes, object]]:
    """One "* n FETCH (…)" response's data (as imappipe hands it: [b"n (…", …]) → {UID: {item: value}}."""
    top = _nest(_tokens(pieces))
    result: dict[int, dict[bytes, object]] = {}
    for index in range(0, len(top), 2):
        seq, items = top[index], top[index + 1] if index + 1 < len(top) else None
        if not isinstance(seq, int) or not isinstance(items, tuple) or len(items) % 2:
            raise ProtocolError(f"bad FETCH response: {str(top)[:80]}")
        data: dict[bytes, object] = {b"SEQ": seq}
        key = seq
        for name, value in zip(items[::2], items[1::2], strict=True):
            if not isinstance(name, bytes):
                raise ProtocolError(f"bad FETCH item name: {name!r}")
            word = name.upper()
            if word == b"UID":
                if not isinstance(value, int):
                    raise ProtocolError("invalid UID")
                key = value
            elif word in (b"BODY", b"BODYSTRUCTURE") and isinstance(value, tuple):
                data[word] = BodyData.create(value)
            else:
                data[word] = value
        result.setdefault(key, {}).update(data)
    return result
