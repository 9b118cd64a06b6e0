"""What "every user-facing string is in the catalogue" means, as a check on output.

Built from the catalogues themselves, so it keeps working as others add strings:
- a *fragment* is the literal text of a catalogue entry between its placeholders; a fragment of the other language's
  catalogue that is not in this one must not appear in this language's output;
- a *denied word* is a word of the other language's catalogue that this one never uses: hard-coded text in code
  (``"report written to"``) shows up as such words.
Words and fragments that the mails or the config themselves contain are not held against the output: a German
report quotes an English mail, and a group may be called "Privat" in an English run.
"""

from __future__ import annotations

import re
from pathlib import Path

from verifier.i18n import catalogue

_PLACEHOLDER = re.compile(r"\{[^}]*\}")
_DOTTED = re.compile(r"\w\.\w")  # imap.since, groups[1].name, mail.instagram.com: keys and names
_WORD = re.compile(r"[A-Za-zÄÖÜäöüß]{4,}")
# Names and technical terms both languages use, written the same; not words of either language.
SHARED = {"meta", "instagram", "facebook", "dkim", "dmarc", "json", "imap", "inbox", "junk", "archive", "spam"}
# The commands' names are what the user types, in every language (`verify-objection report`).
SHARED |= {"check", "report", "inspect", "watch", "schedule", "list", "show", "export", "verify", "config", "example"}
SHARED |= {"login", "init", "help"}


def _strings(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in _strings(value)]
    return []


def _fragments(text: str) -> list[str]:
    """Literal runs of at least three words: short ones ("Mail {n}") would match anything."""
    out = []
    for part in _PLACEHOLDER.split(text):
        part = " ".join(part.split()).strip(" .,;:()–—-“”„\"'`")
        if len(part.split()) >= 3 and len(part) >= 14:
            out.append(part)
    return out


def language_leaks(output: str, lang: str, allowed_text: str) -> list[str]:
    """Everything in ``output`` that belongs to the other language's catalogue; ``allowed_text`` is what came from
    mails and config (quoted or named, not ours to translate)."""
    other = "en" if lang == "de" else "de"
    own_strings = _strings(catalogue(lang))
    own_text = " ".join(own_strings)
    flat = " ".join(output.split())
    allowed = " ".join(allowed_text.split())
    leaks = []
    for fragment in {f for s in _strings(catalogue(other)) for f in _fragments(s)}:
        if fragment in own_text or fragment in allowed:
            continue
        if fragment in flat:
            leaks.append(f"catalogue text of '{other}': {fragment!r}")
    denied = denied_words(lang) - {w.lower() for w in _WORD.findall(allowed)}
    for token, word in _words(flat):
        if word.lower() in denied:
            leaks.append(f"word of '{other}': {word!r} in {token!r}")
    return sorted(set(leaks))


def _words(text: str) -> list[tuple[str, str]]:
    """(token, word) for every word; paths, addresses, options (--mailbox) and identifiers are not words."""
    out = []
    for token in text.split():
        if any(mark in token for mark in "/@=_|\\") or token.lstrip("`(„“\"'").startswith("-") or _DOTTED.search(token):
            continue
        out += [(token, word) for word in _WORD.findall(token)]
    return out


def denied_words(lang: str) -> set[str]:
    other = "en" if lang == "de" else "de"
    own_texts = _strings(catalogue(lang))
    if lang == "en":  # English words that live in code, not in en.toml: click's own texts and the commands' help
        own_texts += list(catalogue("de").get("click", {})) + english_help()
    own = {w.lower() for s in own_texts for _, w in _words(_PLACEHOLDER.sub(" ", s))}
    theirs = {w.lower() for s in _strings(catalogue(other)) for _, w in _words(_PLACEHOLDER.sub(" ", s))}
    return theirs - own - SHARED


def corpus_of(paths: list[Path]) -> str:
    """The text a reader may see from these mails and files: subjects, senders, bodies, config values."""
    from verifier.recognise.mailtext import parse_mail

    parts = []
    for path in paths:
        raw = path.read_bytes()
        if path.suffix == ".toml":
            parts.append(raw.decode())
            continue
        parsed = parse_mail(raw)
        headers = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]  # the technical appendix shows header values
        parts += [parsed.subject, parsed.from_name, parsed.from_addr, parsed.text, headers.decode("latin-1")]
    return "\n".join(parts)


def english_help() -> list[str]:
    """The help the commands were written with (cli/clicktext.py keeps it while another language is shown)."""
    import click

    from verifier.cli.main import main

    texts: list[str] = []

    def walk(command: click.Command) -> None:
        english = command.__dict__.get("_english_help", {})
        texts.append(english.get("", command.help) or "")
        for param in command.params:
            texts.append(english.get(param.name, getattr(param, "help", None)) or "")
        for sub in getattr(command, "commands", {}).values():
            walk(sub)

    walk(main)
    return texts
