"""Meta's own voice: which words of a mail Meta itself wrote, and whether the mail passes on someone else's.

Meta's genuine, signed notifications carry what other people wrote — a comment, a direct message, a tag, a group
post, a reply, a caption. Anyone who can comment on a user's post can make such a mail say "We will honour your
objection". So confirmation wording counts only in what is left after taking out
- attachments and attached messages (mailtext keeps the sender's own inline parts apart: ``own_text``),
- quoted blocks: HTML <blockquote> (left out by mailtext) and plain-text lines starting with ">",
- longer quoted passages ("…", „…“, «…»), which is how notifications show other people's words,
and a mail whose text uses Meta's framing of other people's words ("commented on your post", "hat dich markiert",
data in the phrase catalogues) is a notification: nothing in it is a confirmation, whatever it quotes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from verifier.recognise.catalogue import languages
from verifier.recognise.mailtext import ParsedMail, tidy

_QUOTED_LINE = re.compile(r"^[ \t]*>.*$", re.MULTILINE)
# After tidy() every kind of double quote is '"'. A passage of some length between quotes is someone's words; short
# ones ("Learn more") are button labels Meta quotes itself.
_QUOTED_PASSAGE = re.compile(r'"[^"]{24,}"')


@dataclass(frozen=True)
class OwnWords:
    text: str  # tidied: the words Meta wrote itself (for a mail not from Meta: all its words)
    notification: str | None = None  # "comment", "message", "tag", "group_post", "reply", "caption", "invite", …
    framing: str | None = None  # the framing phrase found
    removed: bool = False  # quoted or attached words were left out


def notification_kind(folded: str) -> tuple[str, str] | None:
    """(what, phrase) when ``folded`` (normalised) uses Meta's framing of another person's words; else None."""
    for language in languages():
        for what, phrases in language.notifications.items():
            for phrase in phrases:
                if phrase in folded:
                    return what, phrase
    return None


def own_words(parsed: ParsedMail, from_meta: bool) -> OwnWords:
    """For a mail from a Meta domain: only Meta's own words. For any other mail (a forward, a newsletter): all of it,
    since a forwarded confirmation is quoted on purpose; its trust is never "verified" anyway."""
    everything = tidy(parsed.subject + "\n" + parsed.text)
    if not from_meta:
        framing = notification_kind(everything.casefold())
        return OwnWords(everything, *(framing or (None, None)))
    own = _QUOTED_LINE.sub(" ", parsed.own_text)
    framing = notification_kind(tidy(parsed.subject + "\n" + own).casefold())
    text = tidy(_QUOTED_PASSAGE.sub(' "…" ', tidy(parsed.subject + "\n" + own)))
    return OwnWords(text, *(framing or (None, None)), removed=text != everything)
