"""Telling, on a port other than 993, a server that greets in plain IMAP (then STARTTLS) from one that speaks TLS
directly and waits silently for the handshake, which would otherwise look like a 30-second hang."""

from __future__ import annotations

import socket
import ssl

GREETING_WAIT = 3.0  # an IMAP server greets at once; silence this long on a fresh connection means "TLS first"


def speaks_tls_directly(host: str, port: int, context: ssl.SSLContext, *, connect_timeout: float,
                        wait: float = GREETING_WAIT) -> bool:  # fmt: skip
    """True when the server sends no greeting within ``wait`` seconds but answers a TLS handshake.

    Connection errors propagate (the caller reports them as it always does); a certificate that does not verify
    still counts as TLS, so the real connection fails with its own clear message about the certificate.
    """
    with socket.create_connection((host, port), timeout=connect_timeout) as probe:
        probe.settimeout(wait)
        try:
            if probe.recv(1):
                return False  # a greeting: plain IMAP, STARTTLS comes next
        except TimeoutError:
            pass
        except OSError:
            return False  # closed or reset instead of a greeting: let the normal path say so
    with socket.create_connection((host, port), timeout=connect_timeout) as raw:
        raw.settimeout(wait)
        try:
            with context.wrap_socket(raw, server_hostname=host):
                return True
        except ssl.SSLCertVerificationError:
            return True
        except (ssl.SSLError, OSError):
            return False
