"""What is wrong in a config, all of it at once: pydantic's findings in the user's words, plus what pydantic cannot see
(two groups of one name, one account in two groups). config.py raises ConfigProblems; the command line words it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

from verifier.errors import ConfigError

if TYPE_CHECKING:
    from verifier.config import Group


class Problem(BaseModel):
    """One thing wrong in a config: where (a dotted key), and a catalogue entry ``config_problem.<code>``."""

    key: str
    code: str
    params: dict[str, str] = {}


class ConfigProblems(ConfigError):
    """Every problem of one config at once, one line each, so a user fixes them in one go (unknown keys first:
    a typo like ``acounts`` also makes ``accounts`` "missing", and the typo is the thing to fix)."""

    def __init__(self, where: str, problems: list[Problem]) -> None:
        self.where, self.problems = where, problems
        super().__init__(key="config_problems")

    def text(self, lang: str) -> str:
        return "\n".join(self.lines(lang))

    def lines(self, lang: str) -> list[str]:
        """One line per problem (the command line cleans each: a key in the file cannot forge a line of output)."""
        from verifier.i18n import Texts

        t = Texts(lang)
        where = self.where or t("error.environment")
        found = [f"{p.key}: {t('config_problem.' + p.code, **p.params)}" for p in self.problems]
        if len(found) == 1:
            return [f"{where}: {found[0]}"]
        return [t("error.config_problems", path=where, count=len(found))] + [f"  - {f}" for f in found]


# pydantic's error types → our catalogue's words (data/ui, [config_problem]); anything else keeps pydantic's text.
_PYDANTIC_CODES = {
    "missing": "missing",
    "extra_forbidden": "unknown_key",
    "literal_error": "choice",
    "int_parsing": "integer",
    "int_type": "integer",
    "int_from_float": "integer",
    "float_parsing": "number",
    "float_type": "number",
    "bool_parsing": "boolean",
    "bool_type": "boolean",
    "date_parsing": "date",
    "date_from_datetime_parsing": "date",
    "date_type": "date",
    "string_type": "text",
    "list_type": "list",
    "model_type": "table",
    "too_short": "empty",
    "string_too_short": "empty",
    "greater_than_equal": "at_least",
    "greater_than": "above",
    "less_than_equal": "at_most",
}


# what config.py's own validators find; each a [config_problem] entry of that name
OWN_CODES = ("not_a_client_id", "mailbox_and_account", "mailbox_needs_account", "mailbox_empty", "mailboxes_one_name")


def problem(code: str, **params: str) -> PydanticCustomError:
    """A validator's finding as pydantic carries it: its type is our code, so the command line words it in the user's
    language (pydantic's own message, the English text, is only the fallback)."""
    from verifier.i18n import Texts

    assert code in OWN_CODES, code
    english = Texts("en")(f"config_problem.{code}", got="", **params).replace("{", "(").replace("}", ")")
    return PydanticCustomError(code, english, params)  # type: ignore[arg-type]


def validation_problems(err: ValidationError) -> list[Problem]:
    problems: list[Problem] = []
    for error in err.errors():
        key = _dotted(error["loc"])
        own = error["type"] in OWN_CODES
        code = error["type"] if own else _PYDANTIC_CODES.get(error["type"], "invalid")
        context = error.get("ctx") or {}
        params = {
            "detail": error["msg"],
            **{name: str(context.get(name, "")) for name in ("expected", "ge", "gt", "le")},
            **({name: str(value) for name, value in context.items()} if own else {}),
        }
        params["expected"] = params["expected"].replace(" or ", ", ")  # pydantic's English "a, b or c"
        value = error.get("input")
        shown = "password" not in key and "secret" not in key and not isinstance(value, dict | list)
        params["got"] = f" ({value!r})" if shown and "input" in error and code != "missing" else ""
        problems.append(Problem(key=key, code=code, params=params))
    return sorted(problems, key=lambda p: p.code != "unknown_key")  # stable: file order within each kind


def group_problems(groups: list[Group]) -> list[Problem]:
    """Two groups of one name, or one account in two groups: the report could not say which one is covered."""
    problems: list[Problem] = []
    names: dict[str, int] = {}
    accounts: dict[tuple[str, str], int] = {}
    for index, group in enumerate(groups, start=1):
        first = names.setdefault(group.name.casefold(), index)
        if first != index:
            problems.append(
                Problem(
                    key=f"groups[{index}].name",
                    code="duplicate_group",
                    params={"name": group.name, "other": f"groups[{first}]"},
                )
            )
        for position, account in enumerate(group.accounts, start=1):
            # usernames on Instagram and Facebook ignore case; "Lord.Canterville" is "lord.canterville"
            other = accounts.setdefault((account.platform, account.username.casefold()), index)
            if other != index:
                problems.append(
                    Problem(
                        key=f"groups[{index}].accounts[{position}]",
                        code="account_twice",
                        params={
                            "account": account.username,
                            "platform": account.platform,
                            "group": group.name,
                            "other": groups[other - 1].name,
                            "other_key": f"groups[{other}]",
                        },
                    )
                )
    return problems


def _dotted(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1]}[{item + 1}]" if parts else f"[{item + 1}]"]
        else:
            parts.append(item)
    return ".".join(parts) or "(top level)"
