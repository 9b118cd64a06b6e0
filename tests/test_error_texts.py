"""Every message a user can meet is a catalogue entry, in German and English: an error raised with an English
literal is flagged here (unless it is listed below as one that never reaches a user, with the reason), and every
catalogue key the code names exists, with the placeholders its call fills in.

Read from the source, as tests/test_architecture.py reads imports: a new `raise ConfigError("...")` fails here before
any German user sees it in English."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

from verifier.i18n import catalogue

ROOT = Path(__file__).resolve().parent.parent
CODE = ROOT / "verifier"

# (module under verifier/, exception) raised with an English message that never reaches a user as a message of its
# own, and why. Nothing else may be.
INTERNAL = {
    ("sources/imapparse.py", "ProtocolError"): "imapclient's error for a malformed FETCH answer: shown only as the "
    "technical detail inside error.imap_not_understood, which says what to do in the user's language",
    ("sources/msg.py", "MsgError"): "why one .msg file was skipped: an entry of the scan's technical list of skipped "
    "files (and inspect --json), inside error.nothing_readable at most",
    ("watch.py", "ValueError"): "parse_duration's complaint; cli/watch.py turns it into error.bad_timeout",
    ("render/markdown.py", "TypeError"): "a block type the renderer does not know is a bug of ours (error.internal)",
    ("signin/login.py", "AssertionError"): "unreachable: the loop above returns or raises",
    ("signin/answers.py", "Slip"): "str() only, for logs: Slip.text() words it from [setup.slip]",
    ("signin/credentials.py", "LoginAbandoned"): "a login started ahead whose secret never came: the error of "
    "fetching the secret is the one shown, this one only ends the waiting thread",
    ("sources/imappipe.py", "ReadOnlyViolation"): "the read-only guard: a command that would change the mailbox is a "
    "bug of ours, refused before it is sent (error.internal)",
}

# calls whose first argument names a catalogue entry (checked below), not a message: the called → the entry's section
_NAMED_BY_ARGUMENT = {"Slip": "setup.slip", "_problem": "config_problem", "problem": "config_problem"}
_NAMED_BY_ARGUMENT["Unsafe"] = "unsafe"  # privatefile's reasons a place is unsafe, quoted by two errors


def _is_literal(node: ast.expr) -> bool:
    """A message written in the code: a string, an f-string, or strings joined with +."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    return isinstance(node, ast.BinOp) and (_is_literal(node.left) or _is_literal(node.right))


def _name(func: ast.expr) -> str:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _error_classes(trees: dict[str, ast.Module]) -> set[str]:
    """Every exception class defined here, however deep (VerifierError's family, Keyed, a ValueError's subclass)."""
    bases: dict[str, set[str]] = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = {_name(base) for base in node.bases}
    def exceptional(parents: set[str]) -> bool:
        return bool(parents & ours) or any(p.endswith(("Error", "Exception")) for p in parents)

    ours = {"Keyed", "VerifierError"}
    while grown := {name for name, parents in bases.items() if exceptional(parents)} - ours:
        ours |= grown
    return ours


def literal_messages(trees: dict[str, ast.Module]) -> list[tuple[str, str, int, str]]:
    """(module, exception, line, message) for every exception given an English literal as its message, including a
    VerifierError subclass passing one to super().__init__."""
    ours = _error_classes(trees)
    found = []
    for module, tree in trees.items():
        for klass in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name in ours):
            for node in (n for stmt in klass.body for n in ast.walk(stmt)):
                if isinstance(node, ast.Call) and _name(node.func) == "__init__" and node.args and _is_literal(
                    node.args[0]
                ):
                    found.append((module, klass.name, node.lineno, ast.unparse(node.args[0])))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _name(node.func)
            if name in _NAMED_BY_ARGUMENT or not (name in ours or name.endswith("Error")):
                continue
            if node.args and _is_literal(node.args[0]):
                found.append((module, name, node.lineno, ast.unparse(node.args[0])))
    return found


def _trees(root: Path = CODE) -> dict[str, ast.Module]:
    return {str(p.relative_to(root)): ast.parse(p.read_text(encoding="utf-8")) for p in sorted(root.rglob("*.py"))}


def test_no_error_reaches_a_user_as_an_english_literal():
    found = literal_messages(_trees())
    flagged = [f"verifier/{m}:{n}: {name}({text[:70]})" for m, name, n, text in found if (m, name) not in INTERNAL]
    assert not flagged, "give these a key= and [error] entries in data/ui/de.toml and en.toml:\n" + "\n".join(flagged)
    unused = set(INTERNAL) - {(m, name) for m, name, _, _ in found}
    assert not unused, f"allowed but no longer raised with a literal: drop them from INTERNAL: {sorted(unused)}"


def test_the_guard_sees_every_form_a_literal_message_takes():
    sample = ast.parse(
        "class Own(ConfigError):\n    def __init__(self):\n        super().__init__('plain')\n"
        "def f(x):\n"
        "    raise ConfigError('a literal')\n"
        "    raise MailboxError(f'{x} broke')\n"
        "    return AuthError('joined ' + x)\n"
        "    raise Own('subclass')\n"
        "    raise ConfigError(key='keyed', path=x)\n"
        "    raise ConfigError(t('error.keyed'))\n"
    )
    found = literal_messages({"sample.py": sample, "errors.py": ast.parse("class ConfigError(VerifierError): pass")})
    assert [(name, line) for _, name, line, _ in found] == [("Own", 3), ("ConfigError", 5), ("MailboxError", 6),
                                                            ("AuthError", 7), ("Own", 8)]  # fmt: skip


def _fields(text: str) -> set[str]:
    return {field.split(".")[0].split("[")[0] for _, field, _, _ in string.Formatter().parse(text) if field}


def _entry(lang: str, dotted: str) -> str | None:
    node: object = catalogue(lang)
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node if isinstance(node, str) else None


def catalogue_uses(trees: dict[str, ast.Module]) -> list[tuple[str, int, str, set[str] | None]]:
    """(module, line, dotted key, the placeholders the call fills in, None if it passes **params) for every error
    raised with key=, every Slip and config problem, and every texts call with a literal key ("signin.failed")."""
    ours = _error_classes(trees)
    uses = []
    for module, tree in trees.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            named = {k.arg for k in node.keywords if k.arg is not None} - {"transient", "key"}
            given = None if any(k.arg is None for k in node.keywords) else named
            name = _name(node.func)
            key = next((k.value for k in node.keywords if k.arg == "key"), None)
            if (name in ours or name.endswith("Error")) and isinstance(key, ast.Constant):
                dotted = key.value if "." in key.value else f"error.{key.value}"  # "signin.declined": another section
                uses.append((module, node.lineno, dotted, given))
                continue
            first = node.args[0] if node.args else None
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                continue
            if name in _NAMED_BY_ARGUMENT:
                uses.append((module, node.lineno, f"{_NAMED_BY_ARGUMENT[name]}.{first.value}", given))
            elif (name == "t" or isinstance(node.func, ast.Call)) and _is_key(first.value):
                uses.append((module, node.lineno, first.value, given))  # t("x.y"), Texts(lang)("x.y")
    return uses


def _is_key(text: str) -> bool:
    return "." in text and " " not in text and text == text.lower() and not text.startswith(".")


def key_problems(uses: list[tuple[str, int, str, set[str] | None]]) -> list[str]:
    problems = []
    for module, line, key, given in uses:
        for lang in ("de", "en"):
            text = _entry(lang, key)
            if text is None:
                problems.append(f"verifier/{module}:{line}: {key} is not in data/ui/{lang}.toml")
            elif given is not None and (missing := _fields(text) - given - {"got"}):
                problems.append(f"verifier/{module}:{line}: {key} ({lang}) needs {sorted(missing)}, not given")
    return problems


def test_every_catalogue_key_the_code_names_exists_in_both_languages_with_its_placeholders():
    uses = catalogue_uses(_trees())
    assert len({key for _, _, key, _ in uses if key.startswith("error.")}) >= 60  # the scan really sees the raises
    problems = key_problems(uses)
    assert not problems, "\n".join(problems)


def test_the_key_check_sees_a_missing_entry_and_a_missing_placeholder():
    sample = ast.parse(
        "raise ConfigError(key='no_such_entry')\n"
        "raise MailboxError(key='imap_refused', host=h, transient=False)\n"
        "raise ConfigError(key='imap_refused', **params)\n"
        "t('signin.no_such_text')\n"
        "raise Slip('email', answer=text)\n"
    )
    problems = key_problems(catalogue_uses({"sample.py": sample}))
    assert [p.split(": ", 1)[1] for p in problems] == [
        "error.no_such_entry is not in data/ui/de.toml", "error.no_such_entry is not in data/ui/en.toml",
        "error.imap_refused (de) needs ['port'], not given", "error.imap_refused (en) needs ['port'], not given",
        "signin.no_such_text is not in data/ui/de.toml", "signin.no_such_text is not in data/ui/en.toml",
    ]  # Slip("email", …) is setup.slip.email, which exists; **params cannot be checked here


@pytest.mark.parametrize("lang", ["de", "en"])
def test_every_error_entry_renders_with_the_placeholders_it_names(lang: str):
    """An [error] entry with a stray brace or a placeholder its other language lacks breaks only when it is shown."""
    for key, text in catalogue(lang)["error"].items():
        values = dict.fromkeys(_fields(text), "x")
        assert "{" not in text.format(**values), key
