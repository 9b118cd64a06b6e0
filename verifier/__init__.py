"""verify-objection: find Meta's confirmation of your AI-training objection in your own mailbox, read-only."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("verify-objection")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+checkout"
