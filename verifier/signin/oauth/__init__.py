"""OAuth2 access tokens for IMAP (XOAUTH2): shared plumbing for the Microsoft and Google sign-ins."""

from __future__ import annotations

import sys
from pathlib import Path

from verifier.errors import AuthError
from verifier.privatefile import read_private, write_private

__all__ = ["read_private", "write_private"]


def data_dir() -> Path:
    from platformdirs import user_data_path

    return user_data_path("verify-objection")


def announce(text: str) -> None:
    """Tell the person at the terminal what to do in the browser (stderr: stdout stays the report)."""
    print(text, file=sys.stderr, flush=True)


def paste(prompt: str) -> str | None:
    """One line the person pastes (the address the browser landed on); None at the end of input."""
    print(prompt, end="", file=sys.stderr, flush=True)
    line = sys.stdin.readline() if sys.stdin is not None else ""
    return line or None


def http_client() -> object | None:
    """The HTTP layer for the OAuth libraries; None = their own (requests). Tests replace this, never the internet."""
    return None


def login_needed(username: str, what: str) -> AuthError:
    return AuthError(key="oauth_login_needed", what=what, user=username)
