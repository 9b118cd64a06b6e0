"""Run at start-up by the Python of a test's subprocess (its PYTHONPATH names this folder): the same offline DKIM key
table as conftest's ``offline_dkim_keys``, so a `watch` in a subprocess asks no real DNS either."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/, for dkimkeys

from dkimkeys import fixture_keys

from verifier.recognise import dkimcheck

dkimcheck.set_key_lookup(fixture_keys())
