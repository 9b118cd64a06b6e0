"""An offline DKIM key table for tests: the fixtures' test key (fixtures/build/dkim_test_key.pem) and nothing else.

Installed for every test by conftest.py, so no test ever asks real DNS; a name not in the table is "no key"."""

from __future__ import annotations

import base64
import functools
from pathlib import Path

from cryptography.hazmat.primitives import serialization

ROOT = Path(__file__).resolve().parent.parent
TEST_KEY = ROOT / "fixtures" / "build" / "dkim_test_key.pem"
TEST_SELECTOR = "fixture2025"


@functools.cache
def txt_record(pem: bytes) -> bytes:
    # Cached because every test installs the key table: loading an RSA key checks it (about 50 ms), which over ~1000
    # tests was most of the quick subset's time. The result is immutable bytes, so sharing it cannot couple tests.
    # The check itself proves nothing here: only the public half is derived, from keys the tests made themselves.
    key = serialization.load_pem_private_key(pem, password=None, unsafe_skip_rsa_key_validation=True)
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)


class OfflineKeys:
    """dkimpy ``dnsfunc``: answers from a dict, records which names were asked."""

    def __init__(self, records: dict[str, bytes] | None = None) -> None:
        self.records = dict(records or {})
        self.asked: list[str] = []

    def publish(self, selector: str, domain: str, record: bytes) -> None:
        self.records[f"{selector}._domainkey.{domain}."] = record

    def __call__(self, name: bytes, timeout: float = 5) -> bytes | None:
        text = name.decode("ascii", "replace")
        text = text if text.endswith(".") else text + "."
        self.asked.append(text)
        return self.records.get(text)


def fixture_keys() -> OfflineKeys:
    keys = OfflineKeys()
    for domain in ("mail.instagram.com", "facebookmail.com"):
        keys.publish(TEST_SELECTOR, domain, txt_record(TEST_KEY.read_bytes()))
    return keys
