"""The proof report as Markdown: readable as plain text and rendered; mail content can never become markup."""

from __future__ import annotations

import re

from verifier.evidence.proof import Proof
from verifier.i18n import Texts
from verifier.render.proof_content import Block, Bullets, Fields, Heading, Para, Quote, Table, proof_blocks

# Everything CommonMark/GFM could read as markup. Mail text (subjects, names) passes through here.
_SPECIAL = re.compile(r"([\\`*_\[\]|~])")  # only what can start markup mid-line; "(" needs a "]" before it
# Bare URLs and www. addresses are auto-linked by GFM: an entity breaks the trigger, so a mail cannot plant a link,
# and a reader of the rendered file still sees "https://" (a backslash escape would show as "https:\/\/" in many
# renderers and in the raw file).
_AUTOLINK = re.compile(r"(?i)(?<=[a-z0-9]):(?=//)|\b(www)\.")
_URL = re.compile(r"https://[^\s<>()]+[^\s<>().,;:!?“”„\"']")


def escape(text: str, links: frozenset[str] = frozenset()) -> str:
    """Inert inline text: markup escaped, HTML as entities, no auto-links, no line breaks. A URL in ``links`` (the
    forms this report itself points to, never one from a mail) becomes a real link."""
    text = " ".join(text.split())
    parts = _URL.split(text)
    urls = _URL.findall(text)
    out = [_inert(parts[0], first=True)]
    for url, rest in zip(urls, parts[1:], strict=True):
        out.append(f"<{url}>" if url in links else _inert(url, first=False))
        out.append(_inert(rest, first=False))
    return "".join(out)


def _inert(text: str, *, first: bool) -> str:
    text = _SPECIAL.sub(r"\\\1", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _AUTOLINK.sub(lambda m: "www&#46;" if m.group(1) else "&#58;", text)
    if first:  # a subject starting "- ", "> " or "1." must not start a list or a quote; "20.05.2025" stays readable
        text = re.sub(r"^([-+=>])", r"\\\1", text)
        text = re.sub(r"^(\d+)([.)])(?=\s|$)", r"\1\\\2", text)
    return text


def code(text: str) -> str:
    """A code span that holds anything: backtick runs in the text get a longer fence; `|` escaped for tables."""
    text = " ".join(text.split()) or " "
    runs = [len(run) for run in re.findall(r"`+", text)]
    fence = "`" * (max(runs, default=0) + 1)
    return f"{fence} {text.replace('|', chr(92) + '|')} {fence}"


def _fence(text: str) -> str:
    runs = [len(run) for run in re.findall(r"`{3,}|~{3,}", text)]
    return "`" * max(3, max(runs, default=0) + 1)


def _block(block: Block, links: frozenset[str] = frozenset()) -> list[str]:
    match block:
        case Heading(text=text, level=level):
            return ["#" * level + " " + escape(text), ""]
        case Para(text=text, small=small):
            return [f"*{escape(text)}*" if small else escape(text), ""]
        case Fields(rows=rows):
            lines = ["| | |", "|---|---|"]
            lines += [f"| **{escape(r.label)}** | {code(r.value) if r.mono else escape(r.value)} |" for r in rows]
            return [*lines, ""]
        case Table(header=header, rows=rows):
            lines = ["| " + " | ".join(escape(h) for h in header) + " |", "|" + "---|" * len(header)]
            lines += ["| " + " | ".join(escape(cell) for cell in row) + " |" for row in rows]
            return [*lines, ""]
        case Bullets(items=items):
            return [*(f"- {escape(item, links)}" for item in items), ""]
        case Quote(text=text):
            # A fenced block shows the mail exactly and interprets nothing; the fence outgrows any run inside.
            fence = _fence(text)
            body = [fence, *text.split("\n"), fence]
            return [("> " + line).rstrip() for line in body] + [""]
    raise TypeError(f"unknown block {block!r}")


def render_markdown(proof: Proof, t: Texts, file_name: str | None = None) -> str:
    links = frozenset(group.form_url for group in proof.report.groups)  # Meta's forms, from our own data
    lines: list[str] = []
    for block in proof_blocks(proof, t, embedded=False, file_name=file_name):
        lines += _block(block, links)
    return "\n".join(lines).rstrip("\n") + "\n"
