"""Every action Tend records in the audit trail has a name the audit page shows.

The actions are found in Tend's own source: every call that appends an audit event
(`record`, `append`, and any wrapper that passes its own `action` parameter on to one of
them, found by the walk), with the action it passes as a string, a constant of
app/domain/audit/actions.py, or a local variable set from strings. A call whose action
this walk cannot read fails the test, so a new way of recording is noticed rather than
missed.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

import pytest

from app.domain.audit import actions
from app.domain.audit.actions import ACTION_LABELS, action_label
from app.lib import i18n
from app.paths import PACKAGE_DIR

# Audit-writing call → the position of its action argument (the wrappers are added).
AUDIT_CALLS = {"record": 3, "append": 3}
ACTION = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
CONSTANTS = {
    name: value
    for name, value in vars(actions).items()
    if name.isupper() and isinstance(value, str) and ACTION.match(value)
}


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _action_argument(call: ast.Call) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == "action":
            return keyword.value
    position = AUDIT_CALLS[_called_name(call) or ""]
    if len(call.args) > position:
        return call.args[position]
    return None


def _strings(node: ast.AST) -> set[str]:
    return {
        n.value
        for n in ast.walk(node)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and ACTION.match(n.value)
    }


def _actions_of(argument: ast.expr, function: ast.AST | None, where: str) -> tuple[set[str], bool]:
    """The actions `argument` may be; and whether it is the wrapper's own parameter (its
    callers are walked instead)."""
    if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
        return {argument.value}, False
    if isinstance(argument, ast.IfExp):
        return _strings(argument), False
    if isinstance(argument, ast.Name):
        if argument.id in CONSTANTS:
            return {CONSTANTS[argument.id]}, False
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            parameters = {a.arg for a in function.args.args + function.args.kwonlyargs}
            if argument.id in parameters:
                return set(), True
            assigned = {
                value
                for node in ast.walk(function)
                if isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == argument.id for t in node.targets)
                for value in _strings(node.value)
            }
            if assigned:
                return assigned, False
    pytest.fail(f"{where}: cannot tell which audit action this records: {ast.unparse(argument)}")


def _passes_action_on(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for call in (n for n in ast.walk(function) if isinstance(n, ast.Call)):
        if _called_name(call) in AUDIT_CALLS:
            argument = _action_argument(call)
            if isinstance(argument, ast.Name) and argument.id == "action":
                return True
    return False


def _find_wrappers(trees: list[ast.Module]) -> None:
    """Add to AUDIT_CALLS every function with an `action` parameter that it hands on to
    an audit call (`self._audit(action, ...)`), until no more are found."""
    while True:
        added = False
        for tree in trees:
            for function in ast.walk(tree):
                if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                names = [a.arg for a in function.args.args if a.arg not in ("self", "cls")]
                if function.name in AUDIT_CALLS or "action" not in names:
                    continue
                if _passes_action_on(function):
                    AUDIT_CALLS[function.name] = names.index("action")
                    added = True
        if not added:
            return


def recorded_actions() -> dict[str, str]:
    """Every action Tend's source records → where (file:line) it is first recorded."""
    found: dict[str, str] = {}
    paths = sorted(PACKAGE_DIR.rglob("*.py"))
    trees = [ast.parse(path.read_text(encoding="utf-8")) for path in paths]
    _find_wrappers(trees)
    for path, tree in zip(paths, trees, strict=True):
        functions = [
            n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        ]
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            name = _called_name(call)
            if name not in AUDIT_CALLS:
                continue
            argument = _action_argument(call)
            if name == "append" and (argument is None or len(call.args) < 4):
                continue  # a list's append
            if argument is None:
                continue
            where = f"{path.relative_to(PACKAGE_DIR.parent)}:{call.lineno}"
            inner = [f for f in functions if call in set(ast.walk(f))]
            function = inner[-1] if inner else None
            codes, is_parameter = _actions_of(argument, function, where)
            for code in codes:
                found.setdefault(code, where)
            if not codes and not is_parameter:
                pytest.fail(f"{where}: cannot tell which audit action this records")
    return found


RECORDED = recorded_actions()


def test_the_walk_finds_the_actions_of_every_area() -> None:
    """The walk itself: one action of each way of recording is found."""
    for code in ("patient.list", "dose.record", "dose.correct", "task.list", "tenant.create"):
        assert code in RECORDED, code
    assert len(RECORDED) > 40


@pytest.mark.parametrize("code", sorted(RECORDED))
def test_every_recorded_action_has_a_name(code: str) -> None:
    assert code in ACTION_LABELS, f"{RECORDED[code]} records {code!r}: name it in actions.py"


def test_every_named_action_is_one_tend_records() -> None:
    """The page's action filter offers only actions that can happen."""
    assert set(ACTION_LABELS) - set(RECORDED) == set()


@pytest.fixture
def in_arabic() -> Iterator[None]:
    i18n.activate("ar")
    yield
    i18n.activate("en")


@pytest.mark.parametrize("code", sorted(ACTION_LABELS))
def test_every_action_name_is_translated_into_arabic(code: str, in_arabic: None) -> None:
    arabic = action_label(code)
    i18n.activate("en")
    english = action_label(code)
    assert arabic != english
    assert english != code
    i18n.activate("ar")
    assert re.search("[\u0600-\u06ff]", action_label(code)), arabic
