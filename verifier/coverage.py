"""Pure verdict: which configured Accounts Center groups the classified mails cover, and the exit code that follows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from verifier.config import Account, Group
from verifier.deadlines import deadline_note
from verifier.errors import ExitCode
from verifier.model import RELEVANT_KINDS, Classification, Found, Kind, Trust
from verifier.recognise.catalogue import meta_facts
from verifier.recognise.mailtext import normalise
from verifier.report import NEEDS_ACTION, AccountRef, Evidence, GroupResult, GroupStatus, Report

_LONG_AGO = datetime(1970, 1, 1, tzinfo=UTC)


def _given_names(account: Account) -> set[str]:
    """How a greeting may name the account's owner: the first word ("Anna-Lena"), or the first words of a name with
    several given names ("Marie Luise" of "Marie Luise Müller"); compared NFKC-folded, so "Zoë" and "Zoë" agree."""
    words = normalise(account.name or "").split()
    return {" ".join(words[:n]) for n in range(1, len(words) + 1)}


def match_accounts(found: Classification, groups: list[Group]) -> list[int]:
    """Groups whose accounts the mail names: exact usernames; a Facebook first name only when unambiguous."""
    named = {normalise(name) for name in found.accounts}

    def same_platform(account: Account) -> bool:
        return found.platform is None or account.platform == found.platform

    hits = {
        index
        for index, group in enumerate(groups)
        for account in group.accounts
        if same_platform(account) and normalise(account.username) in named
    }
    if hits or found.platform == "instagram":
        return sorted(hits)
    first_names: dict[str, set[int]] = {}
    for index, group in enumerate(groups):
        for account in group.accounts:
            if account.platform == "facebook":
                for given in _given_names(account):
                    first_names.setdefault(given, set()).add(index)
    for name in named:
        owners = first_names.get(name, set())
        if len(owners) == 1:
            hits |= owners
    return sorted(hits)


def _status(evidence: list[Evidence]) -> GroupStatus:
    confirmations = [e for e in evidence if e.kind is Kind.CONFIRMATION]
    if any(e.trust is Trust.VERIFIED for e in confirmations):
        return GroupStatus.CONFIRMED
    if confirmations:
        return GroupStatus.UNVERIFIED
    counted = RELEVANT_KINDS | {Kind.UNCLEAR}
    others = sorted((e for e in evidence if e.kind in counted), key=lambda e: e.sent_at or _LONG_AGO)
    if not others:
        return GroupStatus.MISSING
    # the newest mail decides: an unclear mail after a receipt may well be the confirmation
    latest = others[-1].kind
    return {Kind.REJECTION: GroupStatus.REJECTED, Kind.UNCLEAR: GroupStatus.UNCLEAR}.get(latest, GroupStatus.PENDING)


def _unless_unread(status: GroupStatus, unread: list[str]) -> GroupStatus:
    if unread and status in (GroupStatus.MISSING, GroupStatus.PENDING, GroupStatus.REJECTED, GroupStatus.UNCLEAR):
        return GroupStatus.UNKNOWN
    return status


def form_url(group: Group) -> str:
    forms = meta_facts().forms
    return forms.get(group.accounts[0].platform) or next(iter(forms.values()))


def exit_code_for(groups: Iterable[GroupResult], strict: bool) -> ExitCode:
    groups = list(groups)
    if any(g.status is GroupStatus.UNKNOWN for g in groups):
        return ExitCode.MAILBOX  # a fault decides the exit, never a verdict drawn from half the mail
    needs = NEEDS_ACTION | ({GroupStatus.UNVERIFIED} if strict else set())
    return ExitCode.ACTION_NEEDED if any(g.status in needs for g in groups) else ExitCode.OK


def dedupe_key(found: Found) -> str:
    """One mail is the same bytes (Gmail's All Mail, one mail in two folders). Never the Message-ID alone: any
    sender can reuse a genuine confirmation's Message-ID, and an earlier copy would hide the real one."""
    return found.classification.sha256


def build_report(
    found: Iterable[Found],
    groups: list[Group],
    *,
    source: str,
    checked_at: datetime,
    folders: list[str] | None = None,
    skipped: list[str] | None = None,
    strict: bool = False,
    unread: Iterable[str] = (),
    unread_folders: Iterable[str] = (),
) -> Report:
    """``unread``: mailboxes, ``unread_folders``: folders that could not be read. A group they might have confirmed
    is "unknown", never "missing" (nor pending or rejected: the confirmation may be in the mail not read)."""
    unread_folders = list(unread_folders)
    unread = [*unread, *unread_folders]
    per_group: list[list[Evidence]] = [[] for _ in groups]
    unassigned: list[Evidence] = []
    warnings: list[Evidence] = []
    quoted: list[Evidence] = []
    unclear_nameless: list[Evidence] = []
    seen: set[str] = set()
    for item in sorted(found, key=lambda f: f.classification.sent_at or _LONG_AGO):
        key = dedupe_key(item)
        if key in seen:  # Gmail's All Mail, or the same mail in two folders: one mail, one piece of evidence
            continue
        seen.add(key)
        c = item.classification
        evidence = Evidence.of(c, item.folder, item.location, archived=item.archived, mailbox=item.mailbox)
        if c.trust is Trust.SUSPICIOUS:
            # phishing about the objection, or a spoofed Meta sender; not every fan page named "Instagram"
            if c.kind is not Kind.UNRELATED or c.meta_sender:
                warnings.append(evidence)
            continue
        if c.quoted is not None:
            quoted.append(evidence)  # someone quoted Meta in a comment: shown, never counted
        if c.kind not in RELEVANT_KINDS and c.kind is not Kind.UNCLEAR:
            continue
        hits = match_accounts(c, groups)
        for index in hits:
            per_group[index].append(evidence)
        if not hits and c.kind is Kind.CONFIRMATION:
            unassigned.append(evidence)
        if not hits and c.kind is Kind.UNCLEAR:
            unclear_nameless.append(evidence)
    statuses = [_status(evidence) for evidence in per_group]
    for index, status in enumerate(statuses):
        # An unclear mail that names no group, or a mail that could not be read at all, may be the confirmation of
        # any group that has none: such a group is "unclear", never a false "missing".
        if status is GroupStatus.MISSING and (unclear_nameless or skipped):
            per_group[index] = per_group[index] + unclear_nameless
            statuses[index] = GroupStatus.UNCLEAR
    results = [
        GroupResult(
            name=group.name,
            status=_unless_unread(status, unread),
            accounts=[AccountRef(platform=a.platform, username=a.username) for a in group.accounts],
            evidence=evidence,
            form_url=form_url(group),
            deadline=deadline_note(evidence),
        )
        for group, evidence, status in zip(groups, per_group, statuses, strict=True)
    ]
    return Report(
        checked_at=checked_at,
        source=source,
        folders=folders or [],
        groups=results,
        unassigned=unassigned,
        warnings=warnings,
        quoted=quoted,
        skipped=skipped or [],
        unread_folders=unread_folders,
        strict=strict,
        exit_code=int(exit_code_for(results, strict)),
    )
