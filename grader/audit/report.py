"""The audit's report: one JSON document and an HTML page beside it (every text HTML-escaped)."""

from __future__ import annotations

import html
import json
from dataclasses import asdict
from pathlib import Path

from grader.audit.run import ExerciseAudit, MutantResult

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
    out.mkdir(parents=True, exist_ok=True)
    document = to_dict(audits)
    json_path, html_path = out / "audit.json", out / "audit.html"
    json_path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    html_path.write_text(render_html(document), encoding="utf-8")
    return json_path, html_path


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _shown(value: object) -> str:
    return "; ".join(map(str, value)) if isinstance(value, list) else str(value)


def _mutant_rows(title: str, items: list[dict], extra: str) -> str:
    if not items:
        return ""
    rows = "".join(
        f"<tr><td>{_e(m['mutant']['id'])}</td><td>{_e(m['mutant']['function'])}</td><td>{_e(m['mutant']['description'])}</td>"
        f"<td>{_e(_shown(m[extra]) if extra else '')}</td><td><pre>{_e(m['diff'])}</pre></td></tr>" for m in items)
    return (f"<h3>{_e(title)} ({len(items)})</h3><table><tr><th>mutant</th><th>function</th><th>change</th>"
            f"<th>{_e(extra)}</th><th>diff</th></tr>{rows}</table>")


def _rewrite_rows(items: list[dict]) -> str:
    """Every equivalent rewrite and its verdict: a right answer in a student's style must earn full marks."""
    if not items:
        return ""
    lost = sum(1 for item in items if item["lost"])
    rows = "".join(f"<tr><td>{_e(r['id'])}</td><td>{_e(r['style'])}</td><td>{_e(', '.join(map(str, r['seeds'])))}</td>"
                   f"<td>{'full marks' if not r['lost'] else _e('; '.join(r['lost']))}</td></tr>" for r in items)
    return (f"<h3>equivalent rewrites: {len(items) - lost} of {len(items)} earn full marks</h3>"
            f"<table><tr><th>rewrite</th><th>style</th><th>seeds</th><th>verdict</th></tr>{rows}</table>")


def render_html(document: dict) -> str:
    sections = []
    for exercise in document["exercises"]:
        figures = exercise["figures"]
        cells = "".join(f"<td>{_e(figures[key])}</td>" for key in ("mutants", "killed", "equivalent", "survivors",
                                                                   "hinted", "misleading", "kill_rate", "hint_rate"))
        mutants = exercise["mutants"]
        survivors = [m for m in mutants if not m["equivalent"] and not m["killed"]]
        misleading = [m for m in mutants if m["misleading"]]
        unhinted = [m for m in mutants if m["killed"] and not m["equivalent"] and not m["honest"]]
        broken_cases = [c for c in exercise["cases"] if c["problems"]]
        case_list = "".join(f"<li>{_e(c['name'])}: {_e('; '.join(c['problems']))}</li>" for c in broken_cases)
        sections.append(
            f"<h2>{_e(exercise['exercise'])} {'meets' if exercise['meets_targets'] else 'misses'} the targets</h2>"
            f"<table><tr><th>mutants</th><th>killed</th><th>equivalent</th><th>survivors</th><th>hinted</th>"
            f"<th>misleading</th><th>kill rate</th><th>hint rate</th></tr><tr>{cells}</tr></table>"
            f"<p>{_e(exercise['probes'])} probes, {_e(exercise['seconds'])} s. "
            f"{_e('; '.join(exercise['problems']))}</p>"
            + (f"<h3>case files not graded as expected</h3><ul>{case_list}</ul>" if case_list else "")
            + _rewrite_rows(exercise["rewrites"])
            + _mutant_rows("survivors", survivors, "differs_in")
            + _mutant_rows("misleading hints", misleading, "misleading")
            + _mutant_rows("killed without a hint", unhinted, "differs_in")
            + _mutant_rows("accepted by the README (counted as equivalent)", [m for m in mutants if m.get("accepted")],
                           "accepted"))
    style = ("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:.5em 0}"
             "td,th{border:1px solid #ccc;padding:.2em .5em;vertical-align:top}pre{margin:0;font-size:85%}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>grade audit</title><style>{style}</style></head>"
            f"<body><h1>Check strength: grade audit</h1><p>Targets: at least {KILL_TARGET:.0%} of the non-equivalent "
            f"mutants lose points, at least {HINT_TARGET:.0%} get a hint naming their mistake, no misleading hint; "
            f"every equivalent rewrite of the reference earns full marks under every seed.</p>"
            + "".join(sections) + "</body></html>\n")
