"""The check authors' API reference, written from the API module itself: its `__all__` and docstrings.

`python -m grader.authoring --markdown` prints it; docs/authoring-api.md is that output, and a test keeps the two
equal, so the reference never drifts from the code. Names are grouped by the module that defines them; a
constant's or type alias's description is the string literal right after its assignment (as Sphinx reads
attribute docstrings).
"""

from __future__ import annotations

import ast
import enum
import inspect
import sys
import textwrap
import types
from typing import Any

__all__ = ["markdown", "main"]

TITLE = "# The check authors' API: `grader.authoring`"
INTRO = ("Generated from `grader.authoring`'s `__all__` and docstrings by `python -m grader.authoring --markdown > "
         "docs/authoring-api.md`; `tests/test_authoring_api.py` fails when this page and the code differ. How checks "
         "are written, with worked examples: [authoring.md](authoring.md#writing-a-check).")


def markdown(api: types.ModuleType) -> str:
    """The reference page for `api`: one section per defining module, one entry per public name."""
    lines = [TITLE, "", INTRO, ""]
    groups: dict[str, list[tuple[str, Any]]] = {}
    for name in api.__all__:
        value = getattr(api, name)
        groups.setdefault(_home(api, name, value), []).append((name, value))
    for module_name, entries in groups.items():
        module = sys.modules.get(module_name)
        lines += [f"## `{module_name}`", ""]
        if module is not None and module is not api and module.__doc__ and module.__doc__.strip():
            lines += [_first_paragraph(module.__doc__), ""]
        for name, value in entries:
            if isinstance(value, types.ModuleType):
                lines += _module_section(name, value)
            else:
                lines += _entry(name, value, module)
    return "\n".join(lines).rstrip() + "\n"


def _home(api: types.ModuleType, name: str, value: Any) -> str:
    if isinstance(value, types.ModuleType):
        return value.__name__
    module = getattr(value, "__module__", None)
    if (inspect.isfunction(value) or inspect.isclass(value)) and isinstance(module, str):
        return module
    for candidate in sorted(m for m in sys.modules if m.startswith("grader.")):
        found = sys.modules[candidate]
        if found is not api and name in getattr(found, "__all__", ()) and getattr(found, name, None) is value:
            return candidate
    return api.__name__


def _module_section(name: str, module: types.ModuleType) -> list[str]:
    lines = []
    for item in getattr(module, "__all__", ()):
        value = getattr(module, item)
        lines += _entry(f"{name}.{item}", value, sys.modules.get(getattr(value, "__module__", "") or ""))
    return lines


def _entry(name: str, value: Any, module: types.ModuleType | None) -> list[str]:
    if inspect.isclass(value) and issubclass(value, enum.Enum):
        members = ", ".join(f"`{member.name}`" for member in value)
        return [f"### enum `{name}`", "", _doc(value), "", f"Members: {members}.", ""]
    if inspect.isclass(value):
        lines = [f"### class `{name}{_signature(value)}`", "", _doc(value), ""]
        for method_name, method in vars(value).items():
            if inspect.isfunction(method) and not method_name.startswith("_") and method.__doc__:
                lines += [f"- `{method_name}{_signature(method, drop_self=True)}`: {_one_line(method.__doc__)}"]
        return lines + ([""] if lines[-1] else [])
    if callable(value) and getattr(value, "__origin__", None) is None:
        return [f"### `{name}{_signature(value)}`", "", _doc(value), ""]
    described = _attribute_doc(module, name.rsplit(".", 1)[-1]) if module is not None else ""
    return [f"### `{name}`", "", f"{_value_text(value)}{': ' + described if described else ''}", ""]


def _signature(value: Any, drop_self: bool = False) -> str:
    try:
        signature = inspect.signature(value)
    except (TypeError, ValueError):
        return "(...)"
    parameters = list(signature.parameters.values())[1 if drop_self else 0:]
    shown, keyword_only = [], False
    for parameter in parameters:
        if parameter.kind is parameter.KEYWORD_ONLY and not keyword_only:
            shown.append("*")
            keyword_only = True
        prefix = "*" if parameter.kind is parameter.VAR_POSITIONAL else "**" if parameter.kind is parameter.VAR_KEYWORD else ""
        keyword_only = keyword_only or parameter.kind is parameter.VAR_POSITIONAL
        default = "" if parameter.default is parameter.empty else f"={_default(parameter.default)}"
        shown.append(f"{prefix}{parameter.name}{default}")
    return f"({', '.join(shown)})"


def _default(value: Any) -> str:
    if value is None or isinstance(value, (bool, int, float, str, tuple, range)):
        return repr(value)
    shown = getattr(value, "__name__", None) or repr(value)
    return shown if " at 0x" not in shown else type(value).__name__


def _value_text(value: Any) -> str:
    if isinstance(value, (str, int, float, bool)):
        return f"`{value!r}`"
    if isinstance(value, tuple) and len(repr(value)) <= 100:
        return f"`{value!r}`"
    if isinstance(value, dict):
        return f"a dict of {len(value)} entries"
    origin = getattr(value, "__origin__", None)
    if origin is not None:
        shown = str(value)
        for prefix in ("typing.", "collections.abc.", "grader.feedback.results.", "grader.grading.expectations."):
            shown = shown.replace(prefix, "")
        return f"a type: `{shown}`"
    return f"a `{type(value).__name__}`"


def _doc(value: Any) -> str:
    return inspect.cleandoc(value.__doc__) if value.__doc__ else "(no description)"


def _one_line(doc: str) -> str:
    return " ".join(inspect.cleandoc(doc).split())


def _first_paragraph(doc: str) -> str:
    return inspect.cleandoc(doc).split("\n\n")[0].replace("\n", " ")


def _attribute_doc(module: types.ModuleType, name: str) -> str:
    """The string literal right after `name = ...` at the top level of `module`'s source, or ''."""
    try:
        tree = ast.parse(inspect.getsource(module))
    except (OSError, TypeError, SyntaxError):
        return ""
    body = tree.body
    for index, node in enumerate(body[:-1]):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        follower = body[index + 1]
        if any(isinstance(target, ast.Name) and target.id == name for target in targets) \
                and isinstance(follower, ast.Expr) and isinstance(follower.value, ast.Constant) \
                and isinstance(follower.value.value, str):
            return " ".join(textwrap.dedent(follower.value.value).split())
    return ""


def main(argv: list[str], api: types.ModuleType) -> int:
    """`--markdown`: print the reference page for `api`."""
    if argv != ["--markdown"]:
        print("usage: python -m grader.authoring --markdown  (prints docs/authoring-api.md)", file=sys.stderr)
        return 2
    sys.stdout.write(markdown(api))
    return 0
