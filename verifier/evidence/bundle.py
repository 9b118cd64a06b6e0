"""`archive export ID --bundle DIR`: one mail as files anyone can check without this tool (openssl, dkimpy).

The bundle holds the bytes exactly as kept: the mail, the evidence record as stored (what its token is over), each
DKIM key record as fetched at the check, the RFC 3161 queries and answers, the TSA's certificate chain, and a README
with the commands."""

from __future__ import annotations

import hashlib
from pathlib import Path

from verifier.evidence.archive import Archive
from verifier.evidence.record import EvidenceRecord

README = """Evidence bundle: archived mail {id} ({subject})
Written by verify-objection {version}. Every file here can be checked with common tools; none needs this program.

Files
  mail.eml            the mail exactly as it came from the mailbox. SHA-256: {sha256}
  record.json         the evidence record as kept when the mail was first seen ({checked_at})
  tsa-chain.pem       the TSA's certificate chain; tsa-root.pem its root
{key_lines}{stamp_lines}
1. The mail is unchanged
   sha256sum mail.eml         # must print {sha256}

2. When it existed (RFC 3161 timestamps; needs only openssl)
{openssl_lines}
   "Verification: OK" means: the timestamp authority signed this exact hash at the time shown by
   openssl ts -reply -in mail.tsr -text     (line "Time stamp:")
   (openssl may warn that the TSA's own certificate in tsa-chain.pem "is not a CA cert": that is harmless.)
   tsa-root.pem is the TSA's root certificate as this tool trusted it. Before you rely on it, compare its
   fingerprint with the one the TSA publishes:  openssl x509 -in tsa-root.pem -noout -fingerprint -sha256
   SHA-256 fingerprint: {root_fingerprint}

3. That Meta sent it (DKIM, with the key Meta published at the time)
{dkim_lines}
   "True" means the signature is valid with the kept key record; "False" or a ValidationError means it is not.
   Today's key, for comparison (Meta rotates its keys, so it may be gone or different):{dig_lines}

What this proves and what it does not: the timestamps prove that exactly these bytes existed at that time. They do
not prove who sent the mail; the DKIM signature, checked with the key record kept at the check, does.
"""


_THEN = {"pass": "valid", "fail": "did not verify", "no_key": "no key"}


def write_bundle(archive: Archive, record: EvidenceRecord, target: Path) -> list[str]:
    """Write the bundle into ``target`` (created if missing); returns the file names written."""
    from verifier import __version__
    from verifier.evidence.timestamps import pem

    mail_id = record.id or 0
    files: dict[str, bytes] = {"mail.eml": archive.raw(mail_id), "record.json": archive.stored_record(mail_id)}
    key_lines, dkim_lines, dig_lines = [], [], []
    for number, key in enumerate((k for k in record.authenticity.dkim_keys if k.record is not None), start=1):
        name = f"dkim-key-{number}.txt"
        files[name] = (key.record or "").encode("ascii", "replace") + b"\n"
        dnssec = {True: "DNSSEC-validated", False: "not DNSSEC-validated", None: "DNSSEC unknown"}[key.dnssec]
        key_lines.append(f"  {name:<19} TXT {key.name} as fetched {_when(key.fetched_at)}\n{'':22}from resolver"
                         f" {key.resolver or '?'} ({dnssec})\n")
        dig_lines.append(f"\n   dig +dnssec TXT {key.name}")
        dkim_lines.append(
            f"   pip install dkimpy   # once\n"
            f"   python3 -c 'import dkim; k=open(\"{name}\",\"rb\").read().strip(); "
            f"print(dkim.DKIM(open(\"mail.eml\",\"rb\").read()).verify(idx={key.header_index}, "
            f"dnsfunc=lambda *a, **kw: k))'"
            f"   # signature {key.header_index + 1} (d={key.domain}); when kept: {_THEN.get(key.result, key.result)}\n"
        )
    stamp_lines, openssl_lines, chain = [], [], ""
    for stamp in archive.stamps(mail_id):
        base = "mail" if stamp.subject == "mail" else "record"
        files[f"{base}.tsq"], files[f"{base}.tsr"] = stamp.query, stamp.token
        chain = chain or stamp.chain
        data = "mail.eml" if base == "mail" else "record.json"
        stamp_lines.append(
            f"  {base + '.tsq, .tsr':<19} RFC 3161 query and token over {data}, time {_when(stamp.gen_time)}\n"
            f"{'':22}from {stamp.tsa_url}\n"
        )
        trust = "-CAfile tsa-root.pem -untrusted tsa-chain.pem"
        openssl_lines.append(
            f"   openssl ts -verify -in {base}.tsr -data {data} {trust}\n"
            f"   openssl ts -verify -in {base}.tsr -queryfile {base}.tsq {trust}\n"
        )
    root_fingerprint = "(no timestamp yet)"
    if chain:
        files["tsa-chain.pem"] = chain.encode()
        root = _last_certificate(chain)
        files["tsa-root.pem"] = pem([root]).encode()
        root_fingerprint = ":".join(f"{b:02X}" for b in hashlib.sha256(root).digest())
    files["README.txt"] = README.format(
        id=mail_id,
        subject="".join(c if c.isprintable() else " " for c in record.subject)[:120],
        version=__version__,
        sha256=record.sha256,
        checked_at=_when(record.authenticity.checked_at),
        dig_lines="".join(dig_lines) or " –",
        key_lines="".join(key_lines) or "  (no DKIM key was fetched when the mail was kept)\n",
        stamp_lines="".join(stamp_lines) or "  (not timestamped yet: set [archive] timestamp_url and run a check)\n",
        openssl_lines="".join(openssl_lines) or "   (no timestamp yet)\n",
        root_fingerprint=root_fingerprint,
        dkim_lines="".join(dkim_lines) or "   (no kept key record: the signature cannot be re-checked as it was)\n",
    ).encode()
    from verifier.privatefile import SHARED, write_atomically

    target.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        write_atomically(target / name, data, mode=SHARED)  # never through a symlink planted in the target
    return list(files)


def _when(value: object) -> str:
    from datetime import UTC, datetime

    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if isinstance(value, datetime) else "?"


def _last_certificate(chain_pem: str) -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    return x509.load_pem_x509_certificates(chain_pem.encode())[-1].public_bytes(Encoding.DER)
