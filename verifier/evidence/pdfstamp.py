"""A PAdES document timestamp (RFC 3161, ETSI.RFC3161) on the proof PDF, from the same TSA as the kept mails.

pyHanko appends it as an incremental update, so the PDF/A-3 bytes before it stay as rendered and any PDF reader
(or `pdfsig`) can show that the document, its embedded mails and the record existed unchanged at that time. pyHanko is
heavy: imported only when a PDF is stamped."""

from __future__ import annotations

from io import BytesIO

from verifier.evidence.timestamps import TimestampInvalid, TimestampUnavailable, post_query, tsa_host

RESERVED_HEX = 32768  # room for a 16 KiB token: no extra "dummy" request to size it


def timestamp_pdf(data: bytes, url: str) -> bytes:
    """The PDF with a document timestamp appended; TimestampUnavailable / TimestampInvalid when none could be had."""
    from asn1crypto import tsp
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.signers import PdfTimeStamper
    from pyhanko.sign.timestamps.api import TimeStamper

    class UrlTimeStamper(TimeStamper):
        """pyHanko's own HTTP clients need aiohttp/requests sessions; ours is the one urllib transport."""

        async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
            return tsp.TimeStampResp.load(post_query(url, req.dump()))

    try:
        writer = IncrementalPdfFileWriter(BytesIO(data))
        out = PdfTimeStamper(UrlTimeStamper(), field_name="DocumentTimestamp").timestamp_pdf(
            writer, "sha256", bytes_reserved=RESERVED_HEX
        )
    except (TimestampInvalid, TimestampUnavailable):
        raise
    except Exception as err:  # pyHanko's own errors: a malformed or refused answer, a PDF it cannot extend
        why = f"{type(err).__name__}: {err}"
        raise TimestampInvalid(key="tsa_no_document_stamp", tsa=tsa_host(url), why=why) from None
    return out.getvalue()
