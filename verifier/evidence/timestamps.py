"""RFC 3161 trusted timestamps: ask a timestamp authority (TSA) for a token over some bytes, and check one offline.

The TSA only ever sees a SHA-256 hash, never the mail. Tokens are built and read by rfc3161-client (no ASN.1 of our
own); it is imported lazily, so a check without timestamps does not pay for it at start-up.
"""

from __future__ import annotations

import hashlib
import ssl
import urllib.error
import urllib.parse
import urllib.request
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from verifier.errors import Keyed

TIMEOUT = 10.0
MAX_ANSWER = 256 * 1024  # a token is a few KiB; a bigger answer is not one
CLOCK_SLACK = timedelta(minutes=10)  # a TSA's clock a little ahead of ours is fine; a token from the future is not


class TimestampUnavailable(Keyed):
    """The TSA could not be asked (offline, refused, timed out): try again on the next run."""


class TimestampInvalid(Keyed):
    """A token that does not prove what it should: wrong hash, bad signature, untrusted chain, not granted."""


@dataclass(frozen=True)
class Verified:
    gen_time: datetime  # the time the TSA vouches for (UTC)
    tsa: str  # the TSA certificate's subject
    serial: int
    chain: list[bytes]  # DER: the TSA's certificate up to the trusted root


def tsa_host(url: str) -> str:
    """Where the TSA is, for messages: never the userinfo a URL might carry."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}{f':{parts.port}' if parts.port else ''}{parts.path}"


def request_token(url: str, data: bytes, timeout: float = TIMEOUT) -> tuple[bytes, bytes]:
    """(query, answer) for a SHA-256 imprint of ``data``; the answer is checked to be a granted token for it."""
    from rfc3161_client import HashAlgorithm, TimestampRequestBuilder

    query = TimestampRequestBuilder().data(data).hash_algorithm(HashAlgorithm.SHA256).build()
    answer = post_query(url, query.as_bytes(), timeout)
    try:
        token = _decode(answer)
    except Exception:
        raise TimestampInvalid(key="tsa_no_token", tsa=tsa_host(url)) from None
    if token.status not in (0, 1):  # granted, granted with modifications
        raise TimestampInvalid(key="tsa_refused", tsa=tsa_host(url), status=token.status)
    if token.tst_info.message_imprint.message != hashlib.sha256(data).digest():
        raise TimestampInvalid(key="tsa_other_hash", tsa=tsa_host(url))
    if query.nonce is not None and token.tst_info.nonce != query.nonce:
        raise TimestampInvalid(key="tsa_other_nonce", tsa=tsa_host(url))
    return query.as_bytes(), answer


def post_query(url: str, query: bytes, timeout: float = TIMEOUT) -> bytes:
    """One RFC 3161 request over HTTP(S) (RFC 3161 section 3.4); shared by the mail tokens and the PDF timestamp."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise TimestampInvalid(key="tsa_url", value=url)
    request = urllib.request.Request(
        url, data=query, headers={"Content-Type": "application/timestamp-query"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read(MAX_ANSWER)
    except (urllib.error.URLError, OSError, ValueError) as err:
        reason = getattr(err, "reason", None) or err
        raise TimestampUnavailable(key="tsa_unreachable", tsa=tsa_host(url), why=reason) from None


def trust_roots(ca_file: str = "") -> list:
    """The certificates a token's chain may end in: ``ca_file`` (PEM) if given, else the system's trust store."""
    from cryptography import x509

    paths: list[Path] = []
    if ca_file:
        paths = [Path(ca_file).expanduser()]
    else:
        defaults = ssl.get_default_verify_paths()
        if defaults.cafile:
            paths.append(Path(defaults.cafile))
        elif defaults.capath and Path(defaults.capath).is_dir():
            paths += sorted(p for p in Path(defaults.capath).iterdir() if p.suffix in (".pem", ".crt"))
    roots = []
    for path in paths:
        try:
            with warnings.catch_warnings():  # old system roots with odd serial numbers are still roots
                warnings.simplefilter("ignore")
                roots += x509.load_pem_x509_certificates(path.read_bytes())
        except (OSError, ValueError) as err:
            if ca_file:
                raise TimestampInvalid(key="tsa_ca_file", path=path, why=err) from None
    return roots


def check_token(answer: bytes, data: bytes, roots: list) -> Verified:
    """Offline: the imprint is SHA-256 of ``data``, the TSA signed it, its chain ends in ``roots``; returns the time."""
    from rfc3161_client import VerificationError, VerifierBuilder

    if not roots:
        raise TimestampInvalid(key="tsa_no_roots")
    try:
        token = _decode(answer)
    except Exception:
        raise TimestampInvalid(key="not_a_token") from None
    builder = VerifierBuilder()
    for root in roots:
        try:
            builder = builder.add_root_certificate(root)
        except ValueError:  # the same certificate twice in a bundle
            continue
    try:
        builder.build().verify_message(token, data)
    except VerificationError as err:
        raise _plain(str(err)) from None
    except Exception as err:  # a malformed token the library cannot even walk
        raise TimestampInvalid(key="token_unreadable", why=type(err).__name__) from None
    chain = _chain(token, roots)
    when = token.tst_info.gen_time
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    if when > datetime.now(UTC) + CLOCK_SLACK:
        raise TimestampInvalid(key="token_future", when=f"{when:%Y-%m-%d %H:%M} UTC")
    return Verified(
        gen_time=when,
        tsa=_subject(chain[0]) if chain else "?",
        serial=token.tst_info.serial_number,
        chain=chain,
    )


def _decode(answer: bytes):
    """rfc3161-client reads strict DER only. Many TSAs (OpenSSL-based ones such as FreeTSA, with their chain
    embedded) list the token's certificates in chain order, which DER's SET OF forbids. The certificate set lies
    outside what the TSA signs, so reading a copy with the set in DER order (asn1crypto) changes nothing that is
    verified; the archive and the bundle keep the TSA's bytes as they came (openssl reads those as they are)."""
    from rfc3161_client import decode_timestamp_response

    try:
        return decode_timestamp_response(answer)
    except ValueError as err:
        if "SetOrdering" not in str(err):
            raise
    from asn1crypto import cms, tsp

    response = tsp.TimeStampResp.load(answer)
    signed = response["time_stamp_token"]["content"]
    ordered = sorted(c.dump() for c in signed["certificates"])
    signed["certificates"] = cms.CertificateSet([cms.CertificateChoices.load(c) for c in ordered])
    return decode_timestamp_response(response.dump())


def _plain(message: str) -> TimestampInvalid:
    """rfc3161-client's messages quote OpenSSL's error stack: say what it means instead."""
    if "Mismatch between messages" in message:
        return TimestampInvalid(key="token_other_bytes")
    if "local issuer certificate" in message or "self-signed certificate" in message:
        return TimestampInvalid(key="tsa_untrusted")
    if "certificate has expired" in message or "not yet valid" in message:
        return TimestampInvalid(key="tsa_expired")
    if "pkcs7" in message.lower():
        return TimestampInvalid(key="token_altered")
    return TimestampInvalid(key="token_invalid", why=message.split(": ErrorStack")[0])


def _subject(der: bytes) -> str:
    from cryptography import x509

    return x509.load_der_x509_certificate(der).subject.rfc4514_string()


def _chain(token, roots: list) -> list[bytes]:
    """The signer's certificate, then each issuer (from the token, then the trust store) up to a self-signed root."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    embedded = [x509.load_der_x509_certificate(c) for c in token.signed_data.certificates]
    signer = next(iter(token.signed_data.signer_infos))
    current = next((c for c in embedded if c.issuer == signer.issuer and c.serial_number == signer.serial_number), None)
    chain = []
    pool = embedded + list(roots)
    while current is not None and len(chain) < 8:
        chain.append(current)
        if current.issuer == current.subject:
            break
        current = next((c for c in pool if c.subject == current.issuer and c not in chain), None)
    return [c.public_bytes(Encoding.DER) for c in chain]


def pem(chain: list[bytes]) -> str:
    import base64
    import textwrap

    blocks = []
    for der in chain:
        body = "\n".join(textwrap.wrap(base64.b64encode(der).decode(), 64))
        blocks.append(f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n")
    return "".join(blocks)
