"""Words an author can act on, for each problem the audit reports.

For a hint judged misleading: which case files declare the hint, how the mutant differs from each, and the case
file to add when the hint does name the mutant's mistake (its change to the reference and the verdict it got).
For a survivor: the smallest of the audit's probes on which it answers otherwise than the reference, and whether
the checks make that call themselves. The lines are computed once, stored in the audit's JSON, and shown as they are
by the terminal and by audit.html.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.audit.cases import Case
from grader.audit.changes import change_yaml, replacements_between, unified
from grader.audit.equivalence import Answer, Behaviour, Probe, agrees_on, same
from grader.audit.mutate import Mutant, baseline
from grader.feedback.model import Feedback
from grader.outcomes import Outcome

SHOWN_CHARS = 160   # one value or call, as printed


@dataclass(frozen=True)
class DeclaringCase:
    """A mistake case that declares a hint, its behaviour on the probes, and its change as a diff."""

    case: Case
    seen: Behaviour
    wrong_in: frozenset[str]   # the functions on which the case answers otherwise than the reference
    diff: str


def in_reference_style(reference: str, mutant: Mutant) -> str | None:
    """The mutant's change made to the reference's own text (its comments and quotes kept), or None where it cannot
    be placed there exactly (then its diff against the reference as the mutants print it stands in)."""
    first, column, last, end_column = mutant.span
    if not first:
        return None
    lines = reference.splitlines(keepends=True)
    start = sum(len(line) for line in lines[:first - 1]) + len(lines[first - 1].encode()[:column].decode(errors="ignore"))
    stop = sum(len(line) for line in lines[:last - 1]) + len(lines[last - 1].encode()[:end_column].decode(errors="ignore"))
    if mutant.replacement is None:
        whole_lines = "".join(lines[:first - 1]) + "".join(lines[last:])
        candidates = [whole_lines, reference[:start] + "pass" + reference[stop:]]
    else:
        indented = mutant.replacement.replace("\n", "\n" + " " * column)
        candidates = [reference[:start] + text + reference[stop:] for text in (indented, f"({mutant.replacement})")]
    for text in candidates:
        try:
            if baseline(text) == mutant.source:
                return text
        except SyntaxError:
            continue
    return None


def mutant_change(reference: str, mutant: Mutant) -> tuple[str, str | None]:
    """The mutant's diff against the reference, and the mutant as a submission (None if it could not be placed)."""
    text = in_reference_style(reference, mutant)
    if text is not None:
        return unified(reference, text, ("reference", mutant.id)), text
    return mutant.diff(baseline(reference)), None


def case_to_add(reference: str, mutant: Mutant, mutant_text: str, feedback: Feedback,
                known_roots: dict[str, str] | None = None) -> str:
    """The YAML of a case file with the mutant's change and the verdict its grading gave. A hint that other cases list
    under `roots` keeps its root; a hint from a check of another function than the changed one is proposed as a root
    of the changed function (a cascade), with a comment saying so."""
    checks, roots = [], {}
    for check in feedback.checks:
        if check.outcome is not Outcome.PASSED:
            hint = f", hint: {check.hint.id}" if check.hint else ""
            checks.append(f"  {check.id}: {{outcome: {check.outcome.value}{hint}}}\n")
            if check.hint and check.hint.id in (known_roots or {}):
                roots[check.hint.id] = (known_roots or {})[check.hint.id]
            elif check.hint and mutant.function not in check.id:
                roots.setdefault(check.hint.id, mutant.function)
    mistake = json.dumps(f"{mutant.function}: {mutant.description} (audit mutant {mutant.id}): say it in words")
    rooted = ("roots:   # hints that claim only that a function is wrong (a check of another function gave them)\n"
              + "".join(f"  {hint}: {function}\n" for hint, function in roots.items())) if roots else ""
    return (f"kind: mistake\nmistake: {mistake}\n"
            + change_yaml(replacements_between(reference, mutant_text))
            + f"status: {feedback.status.value}\nscore: {feedback.score:g}\n" + "checks:\n" + "".join(checks) + rooted)


def misleading_lines(pairs: list[str], declaring: dict[str, list[DeclaringCase]], seen: Behaviour, differs: set[str],
                     probes: list[Probe], exercise_id: str, change: str, addition: str | None) -> list[str]:
    """Why each misleading "check: hint" pair of one mutant is judged so, how the mutant differs from the cases
    that declare the hint, and what to do."""
    by_hint: dict[str, list[str]] = {}
    for pair in pairs:
        check, hint = pair.split(": ", 1)
        by_hint.setdefault(hint, []).append(check)
    lines = []
    for hint, checks in by_hint.items():
        lines.append(f"misleading hint `{hint}` (from {', '.join(checks)}): no case file that declares it makes "
                     f"this mutant's mistake.")
        if not declaring.get(hint):
            lines.append(f"  no mistake case in solutions/{exercise_id}/cases/ declares `{hint}`.")
        for item in declaring.get(hint, []):
            lines += ["  " + line for line in _how_it_differs(hint, item, seen, differs, probes)]
    lines.append("the mutant's change:")
    lines += ["  " + line for line in change.splitlines()]
    hints = " and ".join(f"`{hint}`" for hint in by_hint)
    name = "name" if len(by_hint) > 1 else "names"
    if addition is None:
        lines.append(f"What to do: if {hints} {name} this mistake, write a case file with the change above and the "
                     f"verdict `grade` gives it; if not, make the check give it only for the mistake its cases make.")
    else:
        lines.append(f"What to do: if {hints} {name} this mistake, add this as solutions/{exercise_id}/cases/<name>.yaml "
                     f"(the verdict is the audit's grading; `grade validate --exercise {exercise_id}` confirms it):")
        lines += ["  " + line for line in addition.splitlines()]
        lines.append("If not, make the check give it only for the mistake its cases make.")
    return lines


def _how_it_differs(hint: str, item: DeclaringCase, seen: Behaviour, differs: set[str], probes: list[Probe]) -> list[str]:
    case = item.case
    if hint in case.roots:
        function = case.roots[hint]
        head = (f"case {case.name} lists `{hint}` under roots: it claims only that {function} is wrong, and this "
                f"mutant's {function} answers every probe as the reference does (it changes "
                f"{', '.join(sorted(differs)) or 'nothing the probes see'}).")
    else:
        wrong = sorted(item.wrong_in)
        agree = [function for function in wrong if agrees_on(function, seen, item.seen, probes)]
        head = (f"case {case.name} ({case.mistake}) is wrong in {', '.join(wrong) or 'no function the probes call'}; "
                + (f"this mutant answers {'it' if len(wrong) == 1 else 'each'} otherwise than the case does."
                   if not agree else f"this mutant agrees with it on {', '.join(agree)}."))
    return [head, *("  " + line for line in item.diff.splitlines())]


def _size(value: Any) -> int:
    if isinstance(value, np.ndarray):
        return int(value.size)
    if isinstance(value, dict):
        return sum(_size(item) for item in value.values()) + 1
    if isinstance(value, (list, tuple)):
        return sum(_size(item) for item in value) + 1
    return 1


def shown(value: Any) -> str:
    """A value as it would be typed, cut to SHOWN_CHARS."""
    if isinstance(value, Answer):
        return shown(value.value) if value.ok else f"a failure ({value.failure})"
    if isinstance(value, np.ndarray):
        text = "np.array(" + np.array2string(value, precision=6, separator=", ", threshold=12) + ")"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{key!r}: {shown(item)}" for key, item in value.items()) + "}"
    elif isinstance(value, (list, tuple)):
        inner = ", ".join(shown(item) for item in value)
        text = f"[{inner}]" if isinstance(value, list) else f"({inner}{',' if len(value) == 1 else ''})"
    else:
        text = repr(value)
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS - 3] + "..."


def call_text(probe: Probe) -> str:
    arguments = [shown(a) for a in probe.args] + [f"{key}={shown(item)}" for key, item in probe.kwargs.items()]
    text = f"{probe.function}({', '.join(arguments)})"
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS - 3] + "..."


def survivor_lines(probes: list[Probe], reference: Behaviour, seen: Behaviour) -> list[str]:
    """The smallest probe that tells the survivor apart from the reference, or that none did."""
    differing = [(p, a, b) for p, a, b in zip(probes, reference, seen) if not same(a, b)]
    if not differing:
        return ["survives: no probe tells it apart from the reference (it is graded as equivalent would be); "
                "look at its diff: the checks may not call the function it changes."]
    probe, want, got = min(differing, key=lambda item: (not item[0].recorded, _size((item[0].args, item[0].kwargs)),
                                                        len(repr(item[0]))))
    origin = ("a call the checks make on the reference" if probe.recorded else
              "a variant of a call the checks make (other magnitudes, or a default left out): the checks never make it")
    return [f"survives: the smallest input that tells it apart from the reference is {call_text(probe)}, {origin}.",
            f"  the reference gives {shown(want)}",
            f"  the mutant gives    {shown(got)}",
            "  What to do: " + (f"a check makes this call but does not fail on the mutant's answer: make it compare "
                                 f"what {probe.function} returns (the part that differs, or more tightly)"
                                 if probe.recorded else
                                 f"add a check that calls {probe.function} on such an input and compares the result")
            + f" ({len(differing)} of {len(probes)} probes tell them apart)."]
