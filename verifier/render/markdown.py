"""The proof report as Markdown: readable as plain text and rendered; mail content can never become markup."""

from __future__ import annotations

import re

from verifier.evidence.proof import Proof
from verifier.i18n import Texts
from verifier.render.proof_content import Block, Bullets, Fields, Heading, Para, Quote, Table, proof_blocks

# Everything CommonMark/GFM could read as markup. Mail text (subjects, names) passes through here.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~])")
# Bare URLs and www. addresses are auto-linked by GFM: break the trigger so a mail cannot plant a link.
_AUTOLINK = re.compile(r"(?i)(?<=[a-z0-9])(://)|\b(www)\.")


def escape(text: str) -> str:
    """Inert inline text: markup escaped, HTML as entities, no auto-links, no line breaks."""
    text = " ".join(text.split())
    text = _SPECIAL.sub(r"\\\1", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _AUTOLINK.sub(lambda m: ":\\/\\/" if m.group(1) else "www&#46;", text)
    return re.sub(r"^([-=>]|\d+[.)])", r"\\\1", text)  # a subject starting "- " or "1." must not start a list


def code(text: str) -> str:
    """A code span that holds anything: backtick runs in the text get a longer fence; `|` escaped for tables."""
    text = " ".join(text.split()) or " "
    runs = [len(run) for run in re.findall(r"`+", text)]
    fence = "`" * (max(runs, default=0) + 1)
    return f"{fence} {text.replace('|', chr(92) + '|')} {fence}"


def _fence(text: str) -> str:
    runs = [len(run) for run in re.findall(r"`{3,}|~{3,}", text)]
    return "`" * max(3, max(runs, default=0) + 1)


def _block(block: Block) -> list[str]:
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
            return [*(f"- {escape(item)}" for item in items), ""]
        case Quote(text=text):
            # A fenced block shows the mail exactly and interprets nothing; the fence outgrows any run inside.
            fence = _fence(text)
            body = [fence, *text.split("\n"), fence]
            return [("> " + line).rstrip() for line in body] + [""]
    raise TypeError(f"unknown block {block!r}")


def render_markdown(proof: Proof, t: Texts) -> str:
    lines: list[str] = []
    for block in proof_blocks(proof, t):
        lines += _block(block)
    return "\n".join(lines).rstrip("\n") + "\n"
