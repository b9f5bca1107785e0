"""The student's view of a feedback document: a compact table and the total, in the terminal."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from grader.sandbox.output import printable

_OUTCOME_STYLE = {
    "passed": ("PASS", "green"),
    "failed": ("FAIL", "red"),
    "error": ("ERROR", "red"),
    "timeout": ("TIMEOUT", "yellow"),
    "memory": ("MEMORY", "yellow"),
    "crashed": ("CRASH", "magenta"),
}


def _points(value: float) -> str:
    return f"{value:g}"


def render(document: dict[str, Any], console: Console) -> None:
    """Draw the feedback; everything shown is stripped of control characters first."""
    title = f"{document['exercise']}: {document['exercise_title']}"
    table = Table(title=title, title_justify="left", show_lines=False, expand=False)
    table.add_column("", no_wrap=True)
    table.add_column("check", overflow="fold", ratio=2)
    table.add_column("points", justify="right", no_wrap=True)
    table.add_column("why", overflow="fold", ratio=3)
    for check in document["checks"]:
        label, style = _OUTCOME_STYLE.get(check["outcome"], (check["outcome"].upper(), "white"))
        why = Text()
        if check["outcome"] != "passed":
            why.append(printable(check["message"]))
            if check.get("hint"):
                why.append("\nHint: ", style="bold cyan")
                why.append(printable(check["hint"]), style="cyan")
        name = Text(printable(check["name"]))
        if check["visibility"] == "hidden":
            name.append(" (hidden)", style="dim")
        table.add_row(Text(label, style=f"bold {style}"), name,
                      f"{_points(check['score'])}/{_points(check['max_score'])}", why)
    console.print(table)

    status = document["status"]
    style = "green" if status == "graded" and document["score"] == document["max_score"] else "bold"
    console.print(Text(f"Total: {_points(document['score'])}/{_points(document['max_score'])}", style=style)
                  + Text(f"   ({status.replace('_', ' ')}) ", style="dim") + Text(printable(document["message"])))
    if not document["hidden_checks_run"]:
        console.print(Text("Only the public checks ran here; hidden checks run when your work is submitted.", style="dim"))
    isolation = document["isolation"]
    if not isolation["strong"]:
        console.print(Text(f"Isolation: {isolation['mode']} (weak: {'; '.join(isolation['notes'])})", style="yellow"))
    if document.get("grader_error"):
        console.print(Text(f"Grader error: {printable(document['grader_error'])}", style="bold red"))
    output = document["output"]
    if output["stdout_tail"].strip() or output["stderr_tail"].strip():
        shown = (output["stdout_tail"] + output["stderr_tail"]).strip().splitlines()[-8:]
        console.print(Text("Your code printed (last lines):", style="dim"))
        for line in shown:
            console.print(Text("  " + line[:200], style="dim"))
