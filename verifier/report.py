"""The one Report model every renderer (terminal, JSON, Markdown, PDF) draws from."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from verifier.model import Classification, ClassifiedMail, Reason, carried_over
from verifier.safetext import Line


class GroupStatus(StrEnum):
    CONFIRMED = "confirmed"  # a verified confirmation names one of the group's accounts
    UNVERIFIED = "unverified"  # a confirmation was found, but its origin could not be checked
    PENDING = "pending"  # Meta acknowledged or asked for a code; no confirmation yet
    REJECTED = "rejected"  # Meta declined or asked for more information
    MISSING = "missing"  # nothing found: this Accounts Center needs its own form


NEEDS_ACTION = {GroupStatus.PENDING, GroupStatus.REJECTED, GroupStatus.MISSING}


class AccountRef(BaseModel):
    platform: str
    username: str


class Evidence(ClassifiedMail):
    """One mail as every renderer sees it; its strings (mail or server text: folder names too) are ``Line``s."""

    folder: Line
    forwarded: bool = False
    language: str | None = None
    accounts_named: list[Line] = Field(default_factory=list)
    details: list[Reason] = Field(default_factory=list)  # the reasons as codes, in the user's language
    location: Line = ""
    archived: bool = False  # from the evidence archive: the mail is no longer in the mailbox

    @classmethod
    def of(cls, found: Classification, folder: str, location: str, *, archived: bool = False) -> Evidence:
        shared = carried_over(found, cls)
        return cls(**shared, accounts_named=found.accounts, folder=folder, location=location, archived=archived)


class DeadlineNote(BaseModel):
    """The group's earliest confirmation against a campaign's key date (information, not legal advice)."""

    campaign: str  # id in verifier/data/campaigns.toml
    reference: date  # the day Meta began training on EU users' public content
    earliest_confirmation: date | None  # None: no confirmation yet
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
    source: Line
    folders: list[Line] = []  # named by the server
    groups: list[GroupResult]
    unassigned: list[Evidence] = []  # objection mails naming no configured account
    warnings: list[Evidence] = []  # suspicious mails: never counted, always shown
    skipped: list[Line] = []  # mails that could not be read, with the reason (and the server's folder name)
    stats: dict[str, int] = Field(default_factory=dict)
    strict: bool = False
    exit_code: int = 0
