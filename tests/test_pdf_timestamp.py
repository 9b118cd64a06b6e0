"""The proof PDF's document timestamp (PAdES, RFC 3161) from a real TSA on 127.0.0.1: pyHanko validates it, pdfsig
sees it cover the whole file, openssl verifies its token over the signed byte ranges; a changed byte breaks it."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dkimkeys import TEST_KEY, txt_record
from dnsserver import TestDNS
from helpers import GROUPS_TOML, run
from test_timestamps import KEY_NAME, signed_mail
from tsa import TestTSA

from verifier.recognise import dkimcheck
from verifier.recognise.dnskey import resolver_lookup


@pytest.fixture(scope="module")
def stamped(tmp_path_factory: pytest.TempPathFactory):
    directory = tmp_path_factory.mktemp("pdfstamp")
    box = directory / "box"
    box.mkdir()
    (box / "confirmation.eml").write_bytes(signed_mail())
    # module scope runs before conftest's per-test offline keys: the key comes from a DNS server of our own
    record = txt_record(TEST_KEY.read_bytes())
    with TestTSA(directory / "tsa") as tsa, TestDNS({KEY_NAME: record}) as dns:
        previous = dkimcheck.set_key_lookup(resolver_lookup(["127.0.0.1"], dns.port))
        config = directory / "config.toml"
        config.write_text(
            f'[archive]\ntimestamp_url = "{tsa.url}"\ntimestamp_ca_file = "{tsa.ca_file}"\n' + GROUPS_TOML,
            encoding="utf-8",
        )
        before = datetime.now(UTC).replace(microsecond=0)
        pdf = directory / "proof.pdf"
        try:
            result = run("--config", str(config), "check", "--mailbox", str(box), "--archive",
                         str(directory / "a.sqlite"), "--report", str(pdf))
        finally:
            dkimcheck.set_key_lookup(previous)
        assert result.exit_code in (0, 1) and "warning" not in result.stderr, result.stderr
        yield pdf, tsa.ca_file, before


def _validate(pdf: bytes, ca_file: Path):
    from io import BytesIO

    from asn1crypto import pem, x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_timestamp
    from pyhanko_certvalidator import ValidationContext

    root = x509.Certificate.load(pem.unarmor(ca_file.read_bytes())[2])
    [signature] = PdfFileReader(BytesIO(pdf)).embedded_signatures
    assert signature.sig_object_type == "/DocTimeStamp"
    return validate_pdf_timestamp(signature, validation_context=ValidationContext(trust_roots=[root]))


@pytest.mark.slow  # end to end: a TSA and a DNS server on 127.0.0.1, then pyHanko, pdfsig and openssl
def test_the_document_timestamp_validates_with_pyhanko(stamped):
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    pdf, ca_file, before = stamped
    status = _validate(pdf.read_bytes(), ca_file)
    assert status.valid and status.intact and status.trusted
    assert status.coverage is SignatureCoverageLevel.ENTIRE_FILE
    assert before <= status.timestamp <= datetime.now(UTC)


@pytest.mark.slow  # end to end: a TSA and a DNS server on 127.0.0.1, then pyHanko, pdfsig and openssl
def test_pdfsig_sees_the_timestamp_cover_the_whole_file(stamped):
    if shutil.which("pdfsig") is None:
        pytest.skip("pdfsig not installed: apt-get install poppler-utils")
    out = subprocess.run(["pdfsig", str(stamped[0])], capture_output=True, text=True, check=False).stdout
    assert "Signature Field Name: DocumentTimestamp" in out
    assert "Signer Certificate Common Name: verifier test TSA" in out
    assert "Total document signed" in out


def _signed_parts(pdf: bytes) -> tuple[bytes, bytes]:
    """The bytes the timestamp covers (its /ByteRange) and the token in /Contents, read with pypdf."""
    from io import BytesIO

    from pypdf import PdfReader

    field = next(f for f in PdfReader(BytesIO(pdf)).get_fields().values() if f.get("/FT") == "/Sig")
    value = field["/V"].get_object()
    a, b, c, d = (int(x) for x in value["/ByteRange"])
    return pdf[a:a + b] + pdf[c:c + d], bytes(value["/Contents"]).rstrip(b"\0")


@pytest.mark.slow  # end to end: a TSA and a DNS server on 127.0.0.1, then pyHanko, pdfsig and openssl
def test_openssl_verifies_the_pdf_token_and_a_changed_byte_breaks_it(stamped, tmp_path: Path):
    pdf, ca_file, _ = stamped
    data = pdf.read_bytes()
    covered, token = _signed_parts(data)
    (tmp_path / "covered.bin").write_bytes(covered)
    (tmp_path / "token.der").write_bytes(token)
    command = ["openssl", "ts", "-verify", "-token_in", "-in", "token.der", "-data", "covered.bin",
               "-CAfile", str(ca_file)]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert "Verification: OK" in done.stdout, done.stderr
    # one changed byte (in the binary comment after %PDF-1.7, so the file still parses): both reject it
    assert data[9:10] == b"%"
    changed = data[:10] + bytes([data[10] ^ 0x01]) + data[11:]
    assert not _validate(changed, ca_file).intact
    (tmp_path / "covered.bin").write_bytes(_signed_parts(changed)[0])
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert "Verification: FAILED" in done.stdout


@pytest.mark.slow  # end to end: a TSA and a DNS server on 127.0.0.1, then pyHanko, pdfsig and openssl
def test_the_stamped_pdf_is_still_pdf_a_3_and_says_what_the_timestamp_proves(stamped):
    from pypdf import PdfReader

    reader = PdfReader(stamped[0])
    raw = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert re.search(r"pdfaid:part(>|=\")3", raw)
    text = " ".join("".join(page.extract_text() for page in reader.pages).split())
    assert "This PDF carries a document timestamp" in text
    assert "not prove: that Meta sent the mail" in text
    assert f"{KEY_NAME} — fetched" in text and "DNSSEC-validated; signature then: valid" in text


def test_a_pdf_without_a_tsa_says_it_has_no_timestamp(demo_proofs: dict[str, Path]):
    from pypdf import PdfReader

    # the demo's German proof (conftest): no timestamp_url configured
    text = " ".join("".join(page.extract_text() for page in PdfReader(demo_proofs["de.pdf"]).pages).split())
    assert "trägt keinen eigenen Dokument-Zeitstempel" in text
    assert "nicht beweisen: dass Meta die Mail geschickt hat" in text
