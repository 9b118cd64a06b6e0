#!/usr/bin/env python3
"""What trusting the system CAs costs before and during the first TLS handshake (numbers, not assertions): the eager
default store (`ssl.create_default_context()`, the whole bundle read up front) against the lazy one of
verifier/sources/truststore.py (the hashed CA directory, one CA looked up during the handshake). Best of N.

    .venv/bin/python bench/tlscontext.py [N]

SSL_CERT_FILE is removed from this process's environment first (set, it keeps the eager store: see truststore.py).
The handshake part runs against a local TLS server whose test CA is added to a copy of the system's hashed directory,
so both stores verify it the same way: through the directory.
"""

from __future__ import annotations

import os
import socket
import ssl
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from certs import make_certs  # noqa: E402

from verifier.sources.truststore import TrustStore, lazy_capath  # noqa: E402


def best(runs: int, work: Callable[[], object]) -> float:
    """The fastest of ``runs`` calls, in milliseconds: the least disturbed by the rest of the machine."""
    fastest = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        work()
        fastest = min(fastest, time.perf_counter() - start)
    return fastest * 1000


def serve(listener: socket.socket, context: ssl.SSLContext) -> None:
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return  # closed: the bench is over
        try:
            with context.wrap_socket(conn, server_side=True):
                pass
        except (ssl.SSLError, OSError):
            pass


def hashed_copy(system_dir: str, ca_file: Path, into: Path) -> None:
    """The system's hashed directory plus the test CA under its subject hash (`openssl rehash` would do the same)."""
    import subprocess

    for entry in os.scandir(system_dir):
        os.symlink(entry.path, into / entry.name)
    digest = subprocess.run(
        ["openssl", "x509", "-hash", "-noout", "-in", str(ca_file)], capture_output=True, text=True, check=True
    ).stdout.strip()
    n = 0
    while (into / f"{digest}.{n}").exists():
        n += 1
    os.symlink(ca_file, into / f"{digest}.{n}")


def main(runs: int) -> None:
    os.environ.pop("SSL_CERT_FILE", None)
    capath = lazy_capath()
    paths = ssl.get_default_verify_paths()
    print(f"{ssl.OPENSSL_VERSION}, bundle {paths.cafile}, directory {capath}, best of {runs}")
    if capath is None:
        print("no hashed CA directory here: the lazy store is not used on this machine")
        return
    bundle = ssl.create_default_context().cert_store_stats()["x509_ca"]
    print(f"  eager store: {bundle} CAs loaded before the first byte; lazy store: 0")
    eager_ms = best(runs, ssl.create_default_context)
    lazy_ms = best(runs, lambda: TrustStore().context())  # a fresh store: the directory scan is counted too
    scan_ms = best(runs, lazy_capath)
    bare_ms = best(runs, lambda: ssl.create_default_context(capath=capath))
    print(f"  context, eager (create_default_context):   {eager_ms:8.3f} ms")
    print(f"  context, lazy  (TrustStore().context()):   {lazy_ms:8.3f} ms")
    print(f"    of which finding the directory {scan_ms:.3f} ms, create_default_context(capath=) {bare_ms:.3f} ms")

    with tempfile.TemporaryDirectory() as work:
        ca_file, cert_file, key_file = make_certs(Path(work), ["localhost", "127.0.0.1"])
        certs = Path(work) / "certs"
        certs.mkdir()
        hashed_copy(capath, ca_file, certs)
        os.environ["SSL_CERT_DIR"] = str(certs)
        server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.load_cert_chain(cert_file, key_file)
        with socket.create_server(("127.0.0.1", 0)) as listener:
            threading.Thread(target=serve, args=(listener, server), daemon=True).start()
            port = listener.getsockname()[1]

            def handshake(make: Callable[[], ssl.SSLContext]) -> Callable[[], None]:
                def once() -> None:
                    with (
                        socket.create_connection(("127.0.0.1", port)) as raw,
                        make().wrap_socket(raw, server_hostname="127.0.0.1"),
                    ):
                        pass

                return once

            eager_hs = best(runs, handshake(ssl.create_default_context))
            lazy_hs = best(runs, handshake(lambda: TrustStore().context()))
    print(f"  context + local handshake, eager:          {eager_hs:8.3f} ms")
    print(f"  context + local handshake, lazy:           {lazy_hs:8.3f} ms  (saved {eager_hs - lazy_hs:.3f} ms)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
