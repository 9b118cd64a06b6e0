"""The one Report model every renderer (terminal, JSON, Markdown, PDF) draws from."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from verifier.model import Classification, Kind, Reason, Trust


class GroupStatus(StrEnum):
    CONFIRMED = "confirmed"  # a verified confirmation names one of the group's accounts
    UNVERIFIED = "unverified"  # a confirmation was found, but its origin could not be checked
    PENDING = "pending"  # Meta acknowledged or asked for a code; no confirmation yet
    REJECTED = "rejected"  # Meta declined or asked for more information
    MISSING = "missing"  # nothing found: this Accounts Center needs its own form
    # a Meta mail about the objection the tool cannot judge (reworded, unreadable), or a mail that could not be read:
    # never "missing" on a guess — the user is told which mail to open
    UNCLEAR = "unclear"


NEEDS_ACTION = {GroupStatus.PENDING, GroupStatus.REJECTED, GroupStatus.MISSING, GroupStatus.UNCLEAR}


class AccountRef(BaseModel):
    platform: str
    username: str


class Evidence(BaseModel):
    message_id: str
    folder: str
    sent_at: datetime | None
    sender: str
    subject: str
    kind: Kind
    trust: Trust
    forwarded: bool = False
    language: str | None = None
    accounts_named: list[str] = []
    reasons: list[str] = []  # English, for JSON
    details: list[Reason] = []  # the same as codes, rendered in the user's language
    location: str = ""
    sha256: str = ""
    archived: bool = False  # from the evidence archive: the mail is no longer in the mailbox
    quoted: Kind | None = None  # objection wording only in someone else's words (a comment …): a warning
    notification: str | None = None

    @classmethod
    def of(cls, found: Classification, folder: str, location: str, *, archived: bool = False) -> Evidence:
        return cls(
            message_id=found.message_id,
            folder=folder,
            sent_at=found.sent_at,
            sender=found.sender,
            subject=found.subject,
            kind=found.kind,
            trust=found.trust,
            forwarded=found.forwarded,
            language=found.language,
            accounts_named=found.accounts,
            reasons=found.reasons,
            details=found.details,
            location=location,
            sha256=found.sha256,
            archived=archived,
            quoted=found.quoted,
            notification=found.notification,
        )


class DeadlineNote(BaseModel):
    """The group's earliest confirmation against a campaign's key date (information, not legal advice)."""

    campaign: str  # id in verifier/data/campaigns.toml
    reference: date  # the day Meta began training on EU users' public content
    earliest_confirmation: date | None  # None: no confirmation yet; the day in the campaign's zone (Europe)
    earliest_at: datetime | None = None  # the same confirmation's instant (UTC): what is compared
    before: bool  # the confirmation is dated before the reference day
    earlier_campaign: str | None = None  # the confirmation belongs to an earlier campaign (e.g. 2024)
    earlier_paused_on: date | None = None


class GroupResult(BaseModel):
    name: str
    status: GroupStatus
    accounts: list[AccountRef]
    evidence: list[Evidence] = []
    form_url: str
    deadline: DeadlineNote | None = None


class Report(BaseModel):
    checked_at: datetime
    source: str
    folders: list[str] = []
    groups: list[GroupResult]
    unassigned: list[Evidence] = []  # objection mails naming no configured account
    warnings: list[Evidence] = []  # suspicious mails: never counted, always shown
    quoted: list[Evidence] = []  # Meta's notifications in which someone else wrote objection wording: never counted
    skipped: list[str] = []  # mails that could not be read, with the reason
    stats: dict[str, int] = Field(default_factory=dict)
    strict: bool = False
    exit_code: int = 0
