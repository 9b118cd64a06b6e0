"""`verify-objection inspect`: classify saved mails (.eml files) without any mailbox, through the same path as check."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, Field

from verifier.i18n import Texts
from verifier.model import MAX_MAIL_BYTES, Classification, Kind, Reason, Trust, carried_over
from verifier.recognise.reasons import read_reason
from verifier.safetext import Line


class Inspection(BaseModel):
    """One file's classification; the JSON keys of `inspect --json`. ``error`` is set when the file was not read."""

    file: Line  # a file name can hold control characters too
    message_id: Line | None = None
    kind: Kind | None = None
    platform: str | None = None
    language: str | None = None
    accounts: list[Line] = []
    recipient: Line | None = None
    sent_at: datetime | None = None
    trust: Trust | None = None
    forwarded: bool = False
    reasons: list[Line] = []
    sha256: str | None = None
    error: Line | None = None
    quoted: Kind | None = None  # objection wording only in someone else's words (a comment): never counted
    notification: str | None = None
    details: list[Reason] = []  # not in JSON: the reasons as codes, for the user's language
    text: str = Field("", exclude=True, repr=False)  # the mail's text, to quote a phrase as the mail writes it

    @classmethod
    def of(cls, file: str, found: Classification) -> Inspection:
        return cls(**{**carried_over(found, cls), "message_id": found.message_id or None}, file=file)


def _unreadable(file: str, why: str, code: str = "file_unreadable", **params: str) -> Inspection:
    """``why`` in English for the JSON's "error"; ``code`` the catalogue entry the reader sees."""
    reason = read_reason(code, why=why, **params)
    return Inspection(file=file, error=why, reasons=[Texts("en").reason(reason)], details=[reason])


# Turns a saved file's bytes into a mail (an Outlook .msg into RFC 822); raises ValueError with the reason.
Convert = Callable[[Path, bytes], bytes]


def inspect_file(path: Path, convert: Convert | None = None) -> Inspection:
    from verifier.recognise.classify import classify_raw

    file = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_MAIL_BYTES:
            return _unreadable(
                file, f"{size // 2**20} MB is too large for a mail", "file_too_large", mb=str(size // 2**20)
            )
        raw = path.read_bytes()
    except FileNotFoundError:
        return _unreadable(file, "no such file", "file_missing")
    except IsADirectoryError:
        return _unreadable(file, "a directory, not a mail file", "file_is_directory")
    except OSError as err:
        return _unreadable(file, err.strerror or type(err).__name__)
    if convert is not None:
        try:
            raw = convert(path, raw)
        except ValueError as err:
            return _unreadable(file, str(err))
    from verifier.recognise.mailtext import parse_mail

    inspection = Inspection.of(file, classify_raw(raw))
    inspection.text = parse_mail(raw).text
    return inspection


def inspect_files(paths: list[Path], convert: Convert | None = None) -> list[Inspection]:
    return [inspect_file(path, convert) for path in paths]


def as_json(results: list[Inspection]) -> str:
    import json

    documents = [result.model_dump(mode="json", exclude={"details"}) for result in results]
    return json.dumps(documents, ensure_ascii=False, indent=2) + "\n"


def as_text(results: list[Inspection], lang: str) -> str:
    from verifier.i18n import Texts

    t = Texts(lang)
    lines = []
    for result in results:
        if result.error is not None:
            lines.append(t("inspect.unreadable", file=result.file, why=t.reason(result.details[0])))
            continue
        lines.append(
            t(
                "inspect.line",
                file=result.file,
                kind=t(f"kind.{result.kind.value if result.kind else 'unrelated'}"),
                trust=t(f"trust.{result.trust.value if result.trust else 'unverified'}"),
                platform=t.platform(result.platform),
                language=t(f"language.{result.language}")
                if result.language in ("de", "en")
                else result.language or "?",
                accounts=", ".join(result.accounts) or "-",
                date=t.date(result.sent_at),
            )
        )
        lines.extend(f"    - {t.reason(reason, text=result.text)}" for reason in result.details)
    return "\n".join(lines) + "\n"
