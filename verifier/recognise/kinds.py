"""Which kind of objection mail a normalised text is, in which language, by phrase scores from the catalogues.

Scoring: a strong phrase counts 2, a weak one 1, a phrase contained in another matched phrase not at all. A
confirmation needs 3 points (a strong phrase plus one more independent signal), every other kind 2. Safety order
when several kinds qualify: announcement (it explains objecting) > rejection > code > the best score, ties going to
the kind that does not count as covered. A mail without any objection vocabulary is never part of the flow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from verifier.model import Reason
from verifier.recognise.catalogue import Language, languages, uses_vocabulary
from verifier.recognise.reasons import kind_reason

CONFIRMATION_POINTS = 3
OTHER_POINTS = 2
_CODE_NUMBER = re.compile(r"(?<![\d.,:/-])\d{6,8}(?![\d.,:/-]\d)")
_WORD = re.compile(r"\w+")
# Among equal scores, the kind listed first wins: never settle a tie in favour of "covered".
_SAFETY_ORDER = ("announcement", "rejection", "code", "receipt", "confirmation")


@dataclass
class KindScore:
    kind: str
    language: str
    points: int
    phrases: list[str] = field(default_factory=list)
    strong: list[str] = field(default_factory=list)


@dataclass
class KindVerdict:
    kind: str  # "unrelated" when nothing qualifies
    language: str | None
    details: list[Reason]
    scores: list[KindScore] = field(default_factory=list)


def _independent(hits: list[str]) -> list[str]:
    """Drop a phrase that is part of another matched phrase: one sentence is one signal."""
    return [h for h in hits if not any(h != other and h in other for other in hits)]


def score(text: str, language: Language, kind: str, has_code: bool) -> KindScore | None:
    phrases = language.kinds.get(kind)
    if phrases is None:
        return None
    strong = [p for p in phrases.strong if p in text]
    weak = [p for p in phrases.weak if p in text]
    hits = _independent(strong + weak)
    points = sum(2 if h in strong else 1 for h in hits)
    if kind == "confirmation" and hits and all_signals(text, language):
        # objection + "won't use" + AI + Accounts Center: survives a rewording; one more point, never enough alone
        points += 1
        hits.append(SIGNALS)
    if kind == "code":
        if not has_code or not hits:
            return None
        points += 1
    needed = CONFIRMATION_POINTS if kind == "confirmation" else OTHER_POINTS
    if points < needed:
        return None
    return KindScore(kind, language.code, points, hits, [h for h in hits if h in strong])


SIGNALS = "(objection, not-use, AI and Accounts Center signals)"


def all_signals(text: str, language: Language) -> bool:
    groups = language.signals
    return bool(groups) and all(any(word in text for word in words) for words in groups.values())


def signal_language(text: str) -> str | None:
    """The language whose every signal group the text hits: a reworded objection mail no catalogue phrase reaches."""
    return next((language.code for language in languages() if all_signals(text, language)), None)


def guess_language(text: str) -> str | None:
    """Language of any mail by its common words (for mails without objection wording)."""
    words = set(_WORD.findall(text))
    best, hits = None, 0
    for language in languages():
        count = len(words & language.stopwords)
        if count > hits:
            best, hits = language.code, count
    return best


def _describe(best: KindScore) -> Reason:
    first = (best.strong or best.phrases)[0]
    more = len(best.phrases) - 1 + (1 if best.kind == "code" else 0)  # the code number is a signal too
    return kind_reason("kind_wording", kind=best.kind, language=best.language, phrase=first, more=str(more))


def decide(text: str) -> KindVerdict:
    has_code = bool(_CODE_NUMBER.search(text))
    scores = [
        found
        for language in languages()
        for kind in language.kinds
        if (found := score(text, language, kind, has_code)) is not None
    ]
    if not scores:
        return KindVerdict("unrelated", guess_language(text), [kind_reason("no_wording")])
    if not uses_vocabulary(text):
        return KindVerdict("unrelated", guess_language(text), [kind_reason("no_vocabulary")], scores)
    by_kind = {kind: [s for s in scores if s.kind == kind] for kind in _SAFETY_ORDER}
    for kind in ("announcement", "rejection", "code"):
        if by_kind[kind]:
            best = max(by_kind[kind], key=lambda s: s.points)
            details = [_describe(best)]
            if kind == "announcement" and any(s.kind == "confirmation" for s in scores):
                details = [kind_reason("announcement_veto", language=best.language, phrase=best.phrases[0])]
            elif kind == "rejection" and any(s.kind == "confirmation" for s in scores):
                details.append(kind_reason("rejection_first", phrase=best.phrases[0]))
            elif kind == "code":
                details.append(kind_reason("kind_code_number"))
            return KindVerdict(kind, best.language, details, scores)
    best = max(scores, key=lambda s: (s.points, -_SAFETY_ORDER.index(s.kind)))
    return KindVerdict(best.kind, best.language, [_describe(best)], scores)
