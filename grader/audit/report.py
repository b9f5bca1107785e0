"""The audit's report: one JSON document and an HTML page beside it (templates/audit.html.j2), written atomically."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from grader.atomic import write_text_atomically
from grader.audit.run import ExerciseAudit, MutantResult
from grader.views.pages import render

REPORT_VERSION = 1
KILL_TARGET, HINT_TARGET = 0.99, 0.60   # issue 12's ratchets: share of non-equivalent mutants


def meets_targets(audit: ExerciseAudit) -> bool:
    figures = audit.figures()
    return (figures["kill_rate"] >= KILL_TARGET and figures["hint_rate"] >= HINT_TARGET
            and figures["misleading"] == 0 and figures["case_failures"] == 0 and not audit.problems
            and figures["rewrites_full_marks"] == figures["rewrites"])


def _mutant_dict(result: MutantResult, reference: str) -> dict:
    item = asdict(result)
    item["mutant"].pop("source")
    item["diff"] = result.mutant.diff(reference)
    return item


def to_dict(audits: list[ExerciseAudit]) -> dict:
    return {"report_version": REPORT_VERSION, "targets": {"kill_rate": KILL_TARGET, "hint_rate": HINT_TARGET, "misleading": 0},
            "exercises": [{"exercise": a.exercise, "figures": a.figures(), "meets_targets": meets_targets(a),
                           "probes": a.probes, "seconds": a.seconds, "problems": list(a.problems),
                           "cases": [asdict(case) for case in a.cases], "mutants_run": a.mutants_run,
                           "rewrites": [asdict(r) for r in a.rewrites],
                           "mutants": [_mutant_dict(r, a.reference) for r in a.results]} for a in audits]}


def write_report(audits: list[ExerciseAudit], out: Path) -> tuple[Path, Path]:
    """audit.json and audit.html in `out`; returns their paths."""
    document = to_dict(audits)
    json_path, html_path = out / "audit.json", out / "audit.html"
    write_text_atomically(json.dumps(document, indent=2, sort_keys=True) + "\n", json_path)
    write_text_atomically(render_html(document), html_path)
    return json_path, html_path


@dataclass(frozen=True)
class MutantLine:
    id: str
    function: str
    description: str
    shown: str    # the table's column: where it differs, its misleading hint, why the README accepts it
    diff: str
    explanation: str = ""   # for a survivor or a misleading hint: why, and what to do (grader.audit.explain)


@dataclass(frozen=True)
class MutantTable:
    title: str
    column: str
    mutants: tuple[MutantLine, ...]


@dataclass(frozen=True)
class CaseLine:
    name: str
    problems: str


@dataclass(frozen=True)
class RewriteLine:
    id: str
    style: str
    seeds: str
    verdict: str   # "full marks", or every check that lost points


@dataclass(frozen=True)
class ExerciseSection:
    exercise: str
    meets_targets: bool
    figures: tuple[object, ...]   # in the order of FIGURE_COLUMNS
    probes: int
    seconds: float
    problems: tuple[str, ...]
    broken_cases: tuple[CaseLine, ...]   # case files not graded as expected
    rewrites: tuple[RewriteLine, ...]    # every equivalent rewrite and its verdict
    rewrites_full_marks: int
    mutant_tables: tuple[MutantTable, ...]


FIGURE_COLUMNS = ("mutants", "killed", "equivalent", "survivors", "hinted", "misleading", "kill_rate", "hint_rate")


def _shown(value: object) -> str:
    return "; ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)


def _table(title: str, items: list[dict], column: str) -> MutantTable:
    return MutantTable(title, column, tuple(
        MutantLine(str(m["mutant"]["id"]), str(m["mutant"]["function"]), str(m["mutant"]["description"]),
                   _shown(m[column]), str(m["diff"]), "\n".join(m.get("explanation") or ())) for m in items))


def _section(exercise: dict) -> ExerciseSection:
    mutants = exercise["mutants"]
    survivors = [m for m in mutants if not m["equivalent"] and not m["killed"]]
    misleading = [m for m in mutants if m["misleading"]]
    unhinted = [m for m in mutants if m["killed"] and not m["equivalent"] and not m["honest"]]
    accepted = [m for m in mutants if m.get("accepted")]
    rewrites = exercise["rewrites"]
    return ExerciseSection(
        exercise["exercise"], exercise["meets_targets"], tuple(exercise["figures"][key] for key in FIGURE_COLUMNS),
        exercise["probes"], exercise["seconds"], tuple(exercise["problems"]),
        tuple(CaseLine(str(case["name"]), _shown(case["problems"])) for case in exercise["cases"] if case["problems"]),
        tuple(RewriteLine(str(r["id"]), str(r["style"]), ", ".join(map(str, r["seeds"])),
                          _shown(r["lost"]) if r["lost"] else "full marks") for r in rewrites),
        sum(1 for rewrite in rewrites if not rewrite["lost"]),
        (_table("survivors", survivors, "differs_in"), _table("misleading hints", misleading, "misleading"),
         _table("killed without a hint", unhinted, "differs_in"),
         _table("accepted by the README (counted as equivalent)", accepted, "accepted")))


def render_html(document: dict) -> str:
    """audit.html from the audit's JSON document: what to_dict wrote is what the page shows."""
    return str(render("audit.html.j2", kill_target=KILL_TARGET, hint_target=HINT_TARGET,
                      exercises=[_section(exercise) for exercise in document["exercises"]]))
