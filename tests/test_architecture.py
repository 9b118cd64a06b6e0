"""The layering ARCHITECTURE.md describes, enforced by reading every import (lazy ones inside functions too)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "verifier"
NETWORK = {"imapclient", "imaplib", "socket", "ssl", "urllib", "http", "requests", "msal", "dns", "keyring"}
# Exceptions with their reason; each one is a debt, not a rule.
ALLOWED: dict[tuple[str, str], str] = {}  # the init wizard's prompts moved to cli/wizard.py


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            # `from verifier.sources import idle` imports the module verifier.sources.idle
            found.update(f"{node.module}.{alias.name}" for alias in node.names if node.module.startswith("verifier"))
    return found


MODULES = {module_name(p): imports_of(p) for p in sorted(PACKAGE.rglob("*.py"))}


def violations(importer_prefix: str, forbidden: set[str], *, allow_self: bool = True) -> list[str]:
    bad = []
    for module, imported in MODULES.items():
        if not (module == importer_prefix or module.startswith(importer_prefix + ".")):
            continue
        for name in imported:
            hit = any(name == f or name.startswith(f + ".") for f in forbidden)
            if hit and (module, name.split(".")[0]) not in ALLOWED and (module, name) not in ALLOWED:
                bad.append(f"{module} imports {name}")
    return sorted(bad)


def test_the_modules_were_found():
    assert {"verifier.model", "verifier.scan", "verifier.cli.main", "verifier.recognise.classify"} <= MODULES.keys()


def test_nothing_imports_the_cli():
    bad = [
        f"{module} imports {name}"
        for module, imported in MODULES.items()
        if not module.startswith("verifier.cli") and module != "verifier.__main__"
        for name in imported
        if name == "verifier.cli" or name.startswith("verifier.cli.")
    ]
    assert bad == []


def test_only_the_cli_imports_click_or_rich_prompts():
    bad = [
        f"{module} imports {name}"
        for module, imported in MODULES.items()
        if not module.startswith("verifier.cli")
        for name in imported
        if name.split(".")[0] == "click" and (module, "click") not in ALLOWED
    ]
    assert bad == []


def test_the_model_is_a_leaf():
    # safetext (the cleaning of mail text behind the model's Line type) is a leaf too, so model stays one
    project = [n for n in MODULES["verifier.model"] if n.startswith("verifier")]
    assert [n for n in project if not n.startswith("verifier.safetext")] == []
    assert [n for n in MODULES["verifier.safetext"] if n.startswith("verifier")] == []


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        # recognition is pure: bytes in, a classification out (DNS only behind dkimcheck's injectable key lookup)
        ("verifier.recognise", {"verifier.sources", "verifier.evidence", "verifier.render", "verifier.scan",
                                "verifier.session", "verifier.coverage", "verifier.signin", "imapclient"}),
        # the evidence layer keeps and proves; it does not judge coverage or talk to mailboxes
        ("verifier.evidence", {"verifier.coverage", "verifier.sources", "verifier.scan", "verifier.session",
                               "verifier.signin"}),
        # renderers draw a Report: no network, no archive, no mailbox
        ("verifier.render", {"verifier.sources", "verifier.evidence.archive", "verifier.signin", "verifier.scan",
                             "verifier.session", *NETWORK}),
        # the mailbox seam hands bytes upward and knows nothing of what is made of them
        ("verifier.sources", {"verifier.coverage", "verifier.evidence", "verifier.render", "verifier.scan",
                              "verifier.session", "verifier.report", "verifier.recognise.classify",
                              "verifier.recognise.trust", "verifier.recognise.kinds"}),
        ("verifier.coverage", {"verifier.sources", "verifier.evidence", "verifier.render", "verifier.signin",
                               *NETWORK}),
        ("verifier.report", {"verifier.sources", "verifier.evidence", "verifier.render", "verifier.recognise"}),
    ],
)
def test_layers_import_only_downwards(layer: str, forbidden: set[str]):
    assert violations(layer, forbidden) == []


def test_no_module_is_over_300_lines():
    long = {module: n for module, n in ((module_name(p), len(p.read_text("utf-8").splitlines()))
                                        for p in PACKAGE.rglob("*.py")) if n > 300}
    assert long == {}
