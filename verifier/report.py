"""The one Report model every renderer (terminal, JSON, Markdown, PDF) draws from."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from verifier.model import Classification, ClassifiedMail, Kind, Reason, carried_over
from verifier.safetext import Line


class GroupStatus(StrEnum):
    CONFIRMED = "confirmed"  # a verified confirmation names one of the group's accounts
    UNVERIFIED = "unverified"  # a confirmation was found, but its origin could not be checked
    PENDING = "pending"  # Meta acknowledged or asked for a code; no confirmation yet
    REJECTED = "rejected"  # Meta declined or asked for more information
    MISSING = "missing"  # nothing found: this Accounts Center needs its own form
    # a Meta mail about the objection the tool cannot judge (reworded, unreadable), or a mail that could not be read:
    # never "missing" on a guess — the user is told which mail to open
    UNCLEAR = "unclear"
    # nothing decisive found, and a mailbox that might hold the confirmation could not be read: a fault, no verdict
    UNKNOWN = "unknown"


NEEDS_ACTION = {GroupStatus.PENDING, GroupStatus.REJECTED, GroupStatus.MISSING, GroupStatus.UNCLEAR}


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
    quoted: Kind | None = None  # objection wording only in someone else's words (a comment …): a warning
    notification: str | None = None
    mailbox: Line = ""  # which of several configured mailboxes it came from

    @classmethod
    def of(
        cls, found: Classification, folder: str, location: str, *, archived: bool = False, mailbox: str = ""
    ) -> Evidence:
        shared = carried_over(found, cls)
        where = {"folder": folder, "location": location, "archived": archived, "mailbox": mailbox}
        return cls(**shared, accounts_named=found.accounts, **where)


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


class MailboxResult(BaseModel):
    """One of several configured mailboxes: read whole, or why not (then no group is "missing" because of it)."""

    name: Line
    source: Line = ""  # "lord@gmx.de at imap.gmx.net", "thunderbird:/home/…"; empty if it could not even be opened
    folders: list[Line] = []  # named by the server
    error: Line | None = None  # one line: what went wrong and what to do (it may quote the server)
    exit_code: int = 0  # the error's own exit code (3 sign-in, 4 mailbox, 2 configuration)


class Report(BaseModel):
    checked_at: datetime
    source: Line
    folders: list[Line] = []  # named by the server
    groups: list[GroupResult]
    unassigned: list[Evidence] = []  # objection mails naming no configured account
    warnings: list[Evidence] = []  # suspicious mails: never counted, always shown
    quoted: list[Evidence] = []  # Meta's notifications in which someone else wrote objection wording: never counted
    skipped: list[Line] = []  # mails that could not be read, with the reason (and the server's folder name)
    unread_folders: list[Line] = []  # folders whose mail could not be read at all: no group is "missing" then
    stats: dict[str, int] = Field(default_factory=dict)
    mailboxes: list[MailboxResult] = []  # with several configured mailboxes: each one, read or failed
    strict: bool = False
    exit_code: int = 0
