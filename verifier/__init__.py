"""verify-objection: find Meta's confirmation of your AI-training objection in your own mailbox, read-only."""

# The one place the version is written (pyproject.toml reads it from here): importlib.metadata would cost ~20 ms
# at every start, and a checkout that was never installed would have no version at all.
__version__ = "0.1.0"
