"""A real RFC 3161 timestamp authority on 127.0.0.1: `openssl ts -reply` behind a small http.server handler.

With ``chain=True`` (the default) the token embeds the TSA's certificate and its CA, in chain order, as OpenSSL-based
TSAs such as FreeTSA do (not the SET OF order DER wants); ``chain=False`` embeds the TSA's certificate only.

The CA and the TSA certificate are made with `cryptography` (like certs.py): the TSA's has the critical
id-kp-timeStamping extended key usage RFC 3161 asks for. `requests` counts the queries answered."""

from __future__ import annotations

import datetime as dt
import subprocess
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from certs import key_usage, make_ca, write_pem
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CONFIG = """
[ tsa ]
default_tsa = test_tsa
[ test_tsa ]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
{certs}signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def make_tsa_certs(directory: Path, name: str = "verifier test TSA", *, chain: bool = True) -> Path:
    """A root CA and a TSA certificate it issued; returns the CA's PEM file (what timestamp_ca_file names)."""
    now = dt.datetime.now(dt.UTC)
    ca_key, ca = make_ca(f"{name} root CA", now - dt.timedelta(days=1), now + dt.timedelta(days=365))
    ca_name = ca.subject
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=300))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(key_usage(sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    write_pem(directory / "ca.pem", ca.public_bytes(serialization.Encoding.PEM))
    write_pem(directory / "tsa.pem", cert.public_bytes(serialization.Encoding.PEM))
    pkcs8, plain = serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    write_pem(directory / "tsa.key", key.private_bytes(serialization.Encoding.PEM, pkcs8, plain), 0o600)
    (directory / "serial").write_text("01\n")
    certs = "certs = $dir/ca.pem\n" if chain else ""
    (directory / "tsa.cnf").write_text(CONFIG.format(dir=directory, certs=certs))
    return directory / "ca.pem"


class TestTSA:
    """`with TestTSA(tmp_path) as tsa:` → tsa.url, tsa.ca_file; every query is answered by openssl."""

    __test__ = False  # not a test class for pytest

    def __init__(self, directory: Path, *, chain: bool = True) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.ca_file = make_tsa_certs(directory, chain=chain)
        self.requests = 0
        tsa = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with tempfile.TemporaryDirectory(dir=tsa.directory) as work:
                    query, reply = Path(work) / "q.tsq", Path(work) / "r.tsr"
                    query.write_bytes(body)
                    done = subprocess.run(
                        ["openssl", "ts", "-reply", "-config", str(tsa.directory / "tsa.cnf"),
                         "-queryfile", str(query), "-out", str(reply)],
                        capture_output=True,
                        check=False,
                    )
                    answer = reply.read_bytes() if done.returncode == 0 else b""
                if not answer:
                    self.send_error(400, "bad timestamp query")
                    return
                tsa.requests += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/tsr"
        # shutdown() waits for the serving loop to look again: at the default half second that was most of a test
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def __enter__(self) -> TestTSA:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
