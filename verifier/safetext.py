"""Text that came from a mail (or a mail server), made safe to show: the one place output hygiene happens.

Every renderer (rich and plain terminal, Markdown, PDF, JSON, `inspect`, `watch`, `archive list/show`) reads models
whose mail-derived fields are typed ``Line`` or ``Block`` below, so a string is cleaned when the model is built — by
the classifier, from the archive, from JSON — and no renderer can receive it dirty. Cleaning removes what could make
a terminal or a viewer show something the tool did not say: C0/C1 control characters (ESC and whole CSI sequences,
OSC/DCS introducers, NUL, BEL, CR, backspace, DEL), bidirectional overrides, embeddings, isolates and marks, and
other invisible format characters (tag characters, BOM, soft hyphen). A leaf: imports nothing from the project.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator

# A whole CSI sequence (ESC [ … final byte, or the 8-bit CSI): removing only the ESC would leave "[2J" behind
_CSI = re.compile(r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?")
_LINE_BREAKS = {"\n", "\r", "\x0b", "\x0c", "\x85", "\u2028", "\u2029"}
# Invisible joiners that real scripts need (Persian, Indic, emoji sequences); harmless on any display.
_KEPT_FORMAT = {"\u200c", "\u200d"}
# Letters that render as blank space but are no whitespace to str.split(): a way to pad text past the screen edge.
_BLANK_LOOKING = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"}


def _char(c: str, keep_breaks: bool) -> str:
    if c in _LINE_BREAKS:
        return "\n" if keep_breaks else " "
    if c == "\t":
        return "\t" if keep_breaks else " "
    if c in _BLANK_LOOKING:
        return " "
    category = unicodedata.category(c)
    if category == "Cc" or (category == "Cf" and c not in _KEPT_FORMAT):
        return ""  # NUL, BEL, ESC, DEL, C1; U+202A–202E, U+2066–2069, U+200E/F, U+061C, U+FEFF, tags …
    if category == "Cs":
        return "\ufffd"  # a lone surrogate (undecodable bytes) would make printing itself fail
    return c


def _clean(text: str, keep_breaks: bool) -> str:
    if not (text.isascii() and text.isprintable()):  # else the common case: nothing to remove
        text = "".join(_char(c, keep_breaks) for c in _CSI.sub("", text.replace("\r\n", "\n")))
    if keep_breaks:
        return text
    return " ".join(text.split())  # runs of space too: padding must not push text to where a status would stand


def clean_line(text: str) -> str:
    """One line to show: controls and invisible format characters gone, any line break or run of space one space.
    Idempotent."""
    return _clean(text, keep_breaks=False)


def clean_block(text: str) -> str:
    """A mail body to quote: the same, but line breaks (as \\n) and tabs kept. Idempotent."""
    return _clean(text, keep_breaks=True)


Line = Annotated[str, AfterValidator(clean_line)]
Block = Annotated[str, AfterValidator(clean_block)]
