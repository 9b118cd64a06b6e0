"""The verdict over groups: exact account matching, statuses, unassigned mails, de-duplication, exit codes."""

from datetime import UTC, datetime

from mailbuilder import DE_CONFIRMATION, EN_CONFIRMATION, GMAIL_FAIL, mail

from verifier.config import Account, Group
from verifier.coverage import build_report
from verifier.model import Found
from verifier.recognise.classify import classify
from verifier.recognise.mailtext import parse_mail
from verifier.report import GroupStatus

GROUPS = [
    Group(
        name="Privat",
        accounts=[
            Account(platform="instagram", username="lord.canterville"),
            Account(platform="facebook", username="lord.canterville.5", name="Lord Canterville"),
        ],
    ),
    Group(name="Verein", accounts=[Account(platform="instagram", username="lord")]),
]


def found(raw: bytes, folder: str = "INBOX") -> Found:
    return Found(classify(parse_mail(raw)), folder, f"test:{folder}")


def report(*items: Found, strict: bool = False):
    return build_report(items, GROUPS, source="test", checked_at=datetime.now(UTC), strict=strict)


def test_confirmation_covers_its_group_and_not_a_username_prefix():
    result = report(found(mail(DE_CONFIRMATION)))
    assert result.groups[0].status is GroupStatus.CONFIRMED
    assert result.groups[1].status is GroupStatus.MISSING  # "lord" must not match "lord.canterville"
    assert result.groups[1].form_url.startswith("https://help.instagram.com/contact/")
    assert result.exit_code == 1


def test_nothing_found_is_missing_for_every_group():
    result = report()
    assert [g.status for g in result.groups] == [GroupStatus.MISSING, GroupStatus.MISSING]


def test_unverified_confirmation_needs_action_only_when_strict():
    only = [Group(name="Privat", accounts=GROUPS[0].accounts)]
    item = found(mail(DE_CONFIRMATION, auth=None))
    lenient = build_report([item], only, source="t", checked_at=datetime.now(UTC))
    strict = build_report([item], only, source="t", checked_at=datetime.now(UTC), strict=True)
    assert lenient.groups[0].status is GroupStatus.UNVERIFIED
    assert (lenient.exit_code, strict.exit_code) == (0, 1)


def test_suspicious_mail_never_covers_and_is_a_warning():
    result = report(found(mail(DE_CONFIRMATION, auth=GMAIL_FAIL)))
    assert result.groups[0].status is GroupStatus.MISSING
    assert len(result.warnings) == 1


def test_confirmation_for_an_unknown_account_is_unassigned():
    result = report(found(mail(EN_CONFIRMATION, user="someone.else")))
    assert [g.status for g in result.groups] == [GroupStatus.MISSING, GroupStatus.MISSING]
    assert result.unassigned[0].accounts_named == ["someone.else"]


def test_facebook_first_name_greeting_matches_only_when_unambiguous():
    body = "Hallo Lord,\n\nWir erkennen deinen Einspruch an. Dein Widerspruch gilt für alle Konten.\n"
    fb = mail(body, sender="Facebook <security@facebookmail.com>")
    assert report(found(fb)).groups[0].status is GroupStatus.CONFIRMED
    twins = [
        *GROUPS,
        Group(name="Zwilling", accounts=[Account(platform="facebook", username="lord.other", name="Lord Other")]),
    ]
    result = build_report([found(fb)], twins, source="t", checked_at=datetime.now(UTC))
    assert all(g.status is GroupStatus.MISSING for g in result.groups)
    assert len(result.unassigned) == 1


def test_same_message_id_in_two_folders_counts_once():
    raw = mail(DE_CONFIRMATION, message_id="<one@mail.instagram.com>")
    result = report(found(raw, "INBOX"), found(raw, "Archive"))
    assert len(result.groups[0].evidence) == 1


# An earlier mail that reuses a genuine confirmation's Message-ID must not hide it: one mail is the same bytes.
SHADOWED_ID = "<genuine-confirmation@mail.instagram.com>"


def _shadows() -> list[bytes]:
    from mailbuilder import DE_ANNOUNCEMENT, NOTIFICATION

    early = datetime(2025, 5, 1, 8, 0, tzinfo=UTC)
    return [
        mail(NOTIFICATION, message_id=SHADOWED_ID, sent=early),  # a genuine-looking Meta notification
        mail(DE_ANNOUNCEMENT, message_id=SHADOWED_ID, sent=early),  # Meta's announcement
        mail(DE_CONFIRMATION, message_id=SHADOWED_ID, sent=early, sender="Instagram <x@instagram-help.com>"),
        mail("Hallo", message_id=SHADOWED_ID, sent=early, sender="a@evil.example", auth=None, signed=False),
    ]


def test_an_earlier_mail_with_the_same_message_id_does_not_hide_the_confirmation():
    genuine = mail(DE_CONFIRMATION, message_id=SHADOWED_ID)
    for shadow in _shadows():
        result = report(found(shadow, "Junk"), found(genuine, "INBOX"))
        assert result.groups[0].status is GroupStatus.CONFIRMED
        result = report(found(genuine, "INBOX"), found(shadow, "Junk"))  # order of arrival does not matter
        assert result.groups[0].status is GroupStatus.CONFIRMED


def test_an_archived_confirmation_is_not_hidden_by_a_new_mail_with_its_message_id():
    from verifier.scan import _not_in

    archived = found(mail(DE_CONFIRMATION, message_id=SHADOWED_ID))
    for shadow in _shadows():
        assert _not_in([archived], [found(shadow)]) == [archived]
    assert _not_in([archived], [found(mail(DE_CONFIRMATION, message_id=SHADOWED_ID))]) == []  # same bytes
