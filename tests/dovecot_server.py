"""A real Dovecot IMAP server, run as the test process's own child.

Layout chosen (documented here because tests rely on it):

* The namespace separator is ``/``; the on-disk layout is Maildir++
  (``mail_location = maildir:~/Maildir``).  ``INBOX`` lives in
  ``ROOT/home/Maildir`` itself, folder ``Junk`` in ``ROOT/home/Maildir/.Junk``
  and a nested folder ``Archive/2024`` in ``ROOT/home/Maildir/.Archive.2024``.
  Non-ASCII folder names are stored in modified UTF-7 exactly as Dovecot does.
  A ``.`` inside a folder name cannot be represented in this layout.
* Special-use folders: ``Junk`` (``\\Junk``, auto-created), ``Archive``
  (``\\Archive``), ``Sent`` (``\\Sent``), ``Drafts`` (``\\Drafts``) and
  ``Trash`` (``\\Trash``); only Junk is auto-created.  With
  ``junk_special_use=False`` the junk folder (e.g. ``"Spamverdacht"``) is
  still auto-created but carries no special-use flag.

The class has no pytest dependency; ``tests/conftest.py`` wraps it in fixtures.
"""

from __future__ import annotations

import atexit
import contextlib
import grp
import itertools
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

from certs import make_certs
from dovecot_config import SEPARATOR
from imapclient import IMAPClient
from imapclient.imap_utf7 import encode as imap_utf7_encode

DEFAULT_USER = "lord.canterville@outlook.de"
DEFAULT_PASSWORD = "correct horse battery staple"

_MAILDIR_FLAGS = frozenset("DFPRST")
_COUNTER = itertools.count()


def dovecot_binary() -> str | None:
    """Path of the ``dovecot`` binary, or None when it is not installed."""
    return shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.access("/usr/sbin/dovecot", os.X_OK) else None)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


_PR_SET_CHILD_SUBREAPER = 36
_RUNNING: dict[int, int] = {}  # id(server) -> process group of its master


@atexit.register
def _kill_leftovers() -> None:
    """Kill servers still running when the interpreter exits (e.g. Ctrl-C)."""
    for pgid in list(_RUNNING.values()):
        with contextlib.suppress(OSError):
            os.killpg(pgid, signal.SIGKILL)


def _become_subreaper() -> None:
    """Adopt orphaned grandchildren (Linux), so stop() can reap Dovecot's
    helper processes once the master is gone.  Without it they stay zombies
    when PID 1 does not reap (containers), and a zombie's PID still looks
    alive to Dovecot's dotlock staleness check."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _reap_group(pgid: int, timeout: float = 5.0) -> None:
    """Reap every (adopted) child in process group ``pgid``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-pgid, os.WNOHANG)
        except ChildProcessError:
            return  # none left in that group that are our children
        if pid == 0:
            time.sleep(0.01)


class DovecotServer:
    """A throw-away Dovecot (2.3) listening on free ports of 127.0.0.1.

    ``imaps_port`` speaks implicit TLS, ``imap_port`` plain IMAP with STARTTLS
    (unless ``starttls=False``: then the plain listener neither advertises nor
    accepts STARTTLS).  The certificate is issued by a fresh CA (``ca_file``)
    for ``localhost`` / ``127.0.0.1``, or only for ``wrong.example`` when
    ``wrong_cert=True``.
    """

    host = "127.0.0.1"

    def __init__(
        self,
        *,
        user: str = DEFAULT_USER,
        password: str = DEFAULT_PASSWORD,
        starttls: bool = True,
        wrong_cert: bool = False,
        junk_folder: str = "Junk",
        junk_special_use: bool = True,
        start_timeout: float = 10.0,
        tmp_dir: str | None = None,
        oauth2_introspection_url: str | None = None,
    ) -> None:
        binary = dovecot_binary()
        if binary is None:
            raise RuntimeError("dovecot not installed: apt-get install dovecot-imapd")
        if ":" in user or ":" in password or "\n" in password:
            raise ValueError("user/password must not contain ':' or newlines")
        if "." in junk_folder or SEPARATOR in junk_folder:
            raise ValueError("junk_folder must be a top-level name without '.'")
        self.binary = binary
        self.user = user
        self.password = password
        self.starttls = starttls
        self.wrong_cert = wrong_cert
        self.junk_folder = junk_folder
        self.junk_special_use = junk_special_use
        # With a URL, XOAUTH2/OAUTHBEARER logins are accepted when that endpoint (RFC 7662 style, POST token=…)
        # answers {"active": true, "email": <user>}; password logins keep working through the passwd-file.
        self.oauth2_introspection_url = oauth2_introspection_url
        self.start_timeout = start_timeout
        self.start_seconds: float | None = None  # last start-to-greeting time

        # Short root: unix socket paths (ROOT/run/login/imap etc.) ≤ 108 bytes.
        # tmpfs (/dev/shm) when available: creating a file there is ~100x
        # faster than on the ext4 /tmp, which matters for deliver_many().
        if tmp_dir is None:
            tmp_dir = "/dev/shm" if os.access("/dev/shm", os.W_OK | os.X_OK) else "/tmp"
        self.root = Path(tempfile.mkdtemp(prefix="dv", dir=tmp_dir))
        # mkdtemp gives 0700; Dovecot's unprivileged auth/login users must
        # be able to traverse it ("Temporary authentication failure").
        self.root.chmod(0o755)
        self.home = self.root / "home"
        self.maildir = self.home / "Maildir"
        self.config_file = self.root / "dovecot.conf"
        self.log_file = self.root / "dovecot.log"

        if os.geteuid() == 0:
            pw = pwd.getpwnam("nobody")
            self.uid = pw.pw_uid
            try:
                self.gid = grp.getgrnam("nogroup").gr_gid
            except KeyError:
                self.gid = pw.pw_gid
        else:
            self.uid = os.getuid()
            self.gid = os.getgid()

        self.imap_port = _free_port()
        self.imaps_port = _free_port()
        while self.imaps_port == self.imap_port:
            self.imaps_port = _free_port()

        names = ["wrong.example"] if wrong_cert else ["localhost", "127.0.0.1"]
        self.ca_file, self.cert_file, self.key_file = make_certs(self.root, names)
        self._made_dirs: set[Path] = set()
        self._setup_mail()
        self._write_config()
        self._proc: subprocess.Popen[bytes] | None = None

    # ------------------------------------------------------------------ setup

    def _chown(self, path: Path) -> None:
        if os.geteuid() == 0:
            os.chown(path, self.uid, self.gid)

    def _setup_mail(self) -> None:
        self.home.mkdir(mode=0o700)
        self._chown(self.home)
        self._folder_dir("INBOX")
        passwd = self.root / "passwd"
        passwd.write_text(f"{self.user}:{{PLAIN}}{self.password}:{self.uid}:{self.gid}::{self.home}\n", "utf-8")
        passwd.chmod(0o644)

    def _write_config(self) -> None:
        from dovecot_config import dovecot_conf

        self.config_file.write_text(dovecot_conf(self))

    # -------------------------------------------------------------- lifecycle

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Start Dovecot and wait until the plain port sends ``* OK``."""
        if self.running:
            return
        for sub in ("run", "state"):
            (self.root / sub).mkdir(mode=0o755, exist_ok=True)
        _become_subreaper()
        began = time.monotonic()
        deadline = began + self.start_timeout
        for port in (self.imap_port, self.imaps_port):
            while not _port_bindable(port):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"port {port} still busy")
                time.sleep(0.05)
        self._proc = proc = subprocess.Popen(
            [self.binary, "-F", "-c", str(self.config_file)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=open(self.root / "stderr.log", "ab"),  # noqa: SIM115
            start_new_session=True,  # own process group: stop() kills it all
        )
        _RUNNING[id(self)] = proc.pid
        last_error: BaseException | None = None
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"dovecot exited with {self._proc.returncode}:\n{self.diagnostics()}")
            try:
                # Both listeners, not just the plain one: a test that connects to the TLS port right after start()
                # must never meet a refused connection.
                if self._greeting_ok(max(0.1, deadline - time.monotonic())) and self._accepts(self.imaps_port):
                    self.start_seconds = time.monotonic() - began
                    return
            except OSError as exc:
                last_error = exc
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(
            f"dovecot gave no greeting within {self.start_timeout}s ({last_error!r}):\n{self.diagnostics()}"
        )

    def _accepts(self, port: int) -> bool:
        with socket.create_connection((self.host, port), timeout=2.0):
            return True

    def _greeting_ok(self, timeout: float) -> bool:
        with socket.create_connection((self.host, self.imap_port), timeout=min(timeout, 2.0)) as sock:
            data = b""
            while b"\n" not in data:
                chunk = sock.recv(4096)
                if not chunk:
                    return False
                data += chunk
            return data.startswith(b"* OK")

    def stop(self) -> None:
        """SIGKILL the whole Dovecot process group and reap the master."""
        proc = self._proc
        if proc is None:
            return
        self._proc = None
        _RUNNING.pop(id(self), None)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        _reap_group(proc.pid)

    def restart(self) -> None:
        """Stop and start again on the same ports with the same mail data."""
        self.stop()
        self.start()

    def cleanup(self) -> None:
        """Stop and delete the root directory."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> DovecotServer:
        try:
            self.start()
        except BaseException:
            self.cleanup()  # the error message already carries the logs
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cleanup()

    def log_text(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def diagnostics(self) -> str:
        stderr = self.root / "stderr.log"
        err = stderr.read_text(errors="replace") if stderr.exists() else ""
        return f"--- stderr ---\n{err}\n--- {self.log_file} ---\n{self.log_text()}"

    # ------------------------------------------------------------------- mail

    def folder_path(self, folder: str) -> Path:
        """Maildir directory of ``folder`` (``/``-separated IMAP name)."""
        if folder.upper() == "INBOX":
            return self.maildir
        parts = folder.split(SEPARATOR)
        if any(not p or "." in p for p in parts):
            raise ValueError(f"folder name not representable in Maildir++: {folder!r}")
        encoded = [imap_utf7_encode(p).decode("ascii") for p in parts]
        return self.maildir / ("." + ".".join(encoded))

    def _folder_dir(self, folder: str) -> Path:
        path = self.folder_path(folder)
        if path in self._made_dirs:
            return path
        for p in (path, path / "cur", path / "new", path / "tmp"):
            if not p.exists():
                p.mkdir(mode=0o700)
                self._chown(p)
        if path != self.maildir:
            marker = path / "maildirfolder"
            if not marker.exists():
                marker.touch(0o600)
                self._chown(marker)
        self._made_dirs.add(path)
        return path

    def deliver(
        self,
        raw: bytes,
        folder: str = "INBOX",
        flags: str = "",
        mtime: float | None = None,
    ) -> None:
        """Write ``raw`` straight into the Maildir of ``folder``.

        ``flags`` are Maildir flag letters (``S`` seen, ``F`` flagged,
        ``R`` answered, ``T`` deleted, ``D`` draft).  Without flags the file
        goes to ``new/`` (``\\Recent``), with flags to ``cur/`` with the
        ``:2,FLAGS`` suffix.  ``mtime`` sets the file time, which Dovecot
        uses as INTERNALDATE.
        """
        bad = set(flags) - _MAILDIR_FLAGS
        if bad:
            raise ValueError(f"unknown maildir flags: {''.join(sorted(bad))}")
        path = self._folder_dir(folder)
        now = time.time()
        base = f"{int(now)}.M{int(now * 1e6) % 1_000_000}P{os.getpid()}Q{next(_COUNTER)}.dvtest,S={len(raw)}"
        tmp = path / "tmp" / base
        with open(tmp, "wb") as fh:
            fh.write(raw)
        self._chown(tmp)
        if mtime is not None:
            os.utime(tmp, (mtime, mtime))
        dest = path / "cur" / f"{base}:2,{''.join(sorted(set(flags)))}" if flags else path / "new" / base
        os.rename(tmp, dest)

    def deliver_many(self, messages: Iterable[tuple[bytes, str] | tuple[bytes, str, str]]) -> int:
        """Deliver ``(raw, folder)`` or ``(raw, folder, flags)`` tuples.

        Returns the number delivered.  Fast enough for thousands of messages
        (one open/chown/rename per message, folder dirs are cached).
        """
        count = 0
        for item in messages:
            if len(item) == 3:
                raw, folder, flags = item  # type: ignore[misc]
            else:
                raw, folder = item  # type: ignore[misc]
                flags = ""
            self.deliver(raw, folder, flags)
            count += 1
        return count

    def client(self, *, tls: bool = True) -> IMAPClient:
        """A logged-in IMAPClient (IMAPS with the test CA, or plain)."""
        if tls:
            ctx = ssl.create_default_context(cafile=str(self.ca_file))
            client = IMAPClient(self.host, port=self.imaps_port, ssl=True, ssl_context=ctx, timeout=10)
        else:
            client = IMAPClient(self.host, port=self.imap_port, ssl=False, timeout=10)
        client.login(self.user, self.password)
        return client

    def flags(self, folder: str = "INBOX") -> dict[str, set[str]]:
        """Flags per Message-ID of ``folder``, read via EXAMINE (read-only).

        Messages without a Message-ID are keyed ``"<uid:N>"``.  ``\\Recent``
        is left out since it changes merely by a session looking.
        """
        client = self.client(tls=False)
        try:
            client.select_folder(folder, readonly=True)  # EXAMINE
            uids = client.search("ALL")
            data = client.fetch(uids, ["FLAGS", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]) if uids else {}
            result: dict[str, set[str]] = {}
            for uid, item in data.items():
                header = b""
                for key, value in item.items():
                    if key.startswith(b"BODY[HEADER.FIELDS") and isinstance(value, bytes):
                        header = value
                msgid = _message_id(header) or f"<uid:{uid}>"
                result[msgid] = {
                    f.decode() if isinstance(f, bytes) else str(f) for f in item[b"FLAGS"] if f != b"\\Recent"
                }
            return result
        finally:
            with contextlib.suppress(Exception):  # best effort
                client.logout()


def _message_id(header: bytes) -> str | None:
    text = header.decode("latin-1").replace("\r\n", "\n")
    # unfold continuation lines
    text = text.replace("\n ", " ").replace("\n\t", " ")
    for line in text.split("\n"):
        name, sep, value = line.partition(":")
        if sep and name.strip().lower() == "message-id":
            return value.strip()
    return None
