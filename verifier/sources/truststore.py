"""Which CAs a connection to the mail server trusts, loaded as cheaply as verification allows.

``ssl.create_default_context()`` reads the whole system CA bundle (a few hundred certificates, tens of milliseconds)
before the first byte goes to the server. Where the system also keeps its CAs in a hashed directory (``5ad8a5d6.0``,
what ``openssl rehash`` writes), OpenSSL can look up only the CA the server's chain names, during the handshake. Both
stores verify the same way (CERT_REQUIRED, the host name, the minimum TLS version of the default context); only when
they are loaded differs. A distro may build the directory and the bundle separately, so a certificate that fails
against the directory is tried once more against the full store before it counts as a failure.
"""

from __future__ import annotations

import logging
import os
import re
import ssl

from verifier.errors import ConfigError

log = logging.getLogger(__name__)

_HASHED = re.compile(r"[0-9a-f]{8}\.[0-9]+")  # a CA by subject hash; CRLs (.r0) and the bundle file do not count
# A certificate for other names stays wrong whichever store vouches for its issuer: no second attempt for these.
_NAME_MISMATCH = frozenset({62, 63, 64})  # X509_V_ERR_HOSTNAME_MISMATCH, _EMAIL_MISMATCH, _IP_ADDRESS_MISMATCH


def lazy_capath() -> str | None:
    """The hashed CA directory OpenSSL would search (``SSL_CERT_DIR``, else the build's default), or None where the
    full default store must be used: the user pointed OpenSSL at a file of their own (``SSL_CERT_FILE``, which the
    directory alone would ignore), the directory is missing (``SSL_CERT_DIR`` may also be a list, which only
    OpenSSL's own default loading understands) or it holds no hash-named CA."""
    paths = ssl.get_default_verify_paths()  # resolves SSL_CERT_DIR as OpenSSL does; None unless a directory
    chosen = os.environ.get(paths.openssl_cafile_env)
    if (chosen is not None and not _default_bundle(chosen, paths)) or not paths.capath:
        return None
    try:
        with os.scandir(paths.capath) as entries:
            return paths.capath if any(_HASHED.fullmatch(entry.name) for entry in entries) else None
    except OSError:
        return None


def _default_bundle(chosen: str, paths: ssl.DefaultVerifyPaths) -> bool:
    """``SSL_CERT_FILE`` naming the system's own bundle (many shells and container images export it so) chooses
    nothing the default would not: the same distro writes that bundle and the hashed directory."""
    return bool(chosen) and os.path.realpath(chosen) == os.path.realpath(paths.openssl_cafile)


def certificate_failure(err: BaseException | None) -> ssl.SSLCertVerificationError | None:
    """The certificate verification error behind ``err``, also where imapclient or our own error mapping wrapped it
    (``raise … from None`` still keeps it as the context)."""
    seen: set[int] = set()
    while err is not None and id(err) not in seen:
        if isinstance(err, ssl.SSLCertVerificationError):
            return err
        seen.add(id(err))
        err = err.__cause__ or err.__context__
    return None


class TrustStore:
    """One mailbox's CAs: the lazy directory until a certificate fails against it, from then on the full store.
    ``imap.ca_file`` is trusted on top of either."""

    def __init__(self, ca_file: str = "") -> None:
        self.ca_file = ca_file
        self._lazy: bool | None = None  # decided at the first context: the environment is read then, not at import
        self._capath: str | None = None

    @property
    def lazy(self) -> bool:
        if self._lazy is None:
            self._capath = lazy_capath()
            self._lazy = self._capath is not None
        return self._lazy

    def context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(capath=self._capath) if self.lazy else ssl.create_default_context()
        if self.ca_file:
            try:
                context.load_verify_locations(cafile=self.ca_file)
            except (OSError, ssl.SSLError) as err:
                raise ConfigError(key="ca_file_unreadable", path=self.ca_file, why=err) from None
        return context

    def fall_back(self, err: BaseException) -> bool:
        """True when ``err`` is a certificate the lazy directory could not vouch for: the caller tries once more, and
        this store gives the full default store from now on. Never a weaker check — only more CAs to check against."""
        failure = certificate_failure(err)
        if not self.lazy or failure is None or failure.verify_code in _NAME_MISMATCH:
            return False
        log.debug(
            "the certificate did not verify against the CA directory %s (%s); trying the full system CA store",
            self._capath, failure.verify_message,
        )  # fmt: skip
        self._lazy = False
        return True
