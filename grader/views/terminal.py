"""The student's view of a feedback: a compact table and the total, in the terminal."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console
from rich.table import Table
from rich.text import Text

from grader.feedback.model import Feedback
from grader.outcomes import Outcome, Status
from grader.text import printable


@dataclass(frozen=True)
class Look:
    """How an outcome is shown: its label, its terminal style and its colour in HTML."""

    label: str
    style: str
    colour: str


OUTCOME_LOOK = {
    Outcome.PASSED: Look("PASS", "green", "#2e9e5b"),
    Outcome.FAILED: Look("FAIL", "red", "#d04437"),
    Outcome.ERROR: Look("ERROR", "red", "#d04437"),
    Outcome.TIMEOUT: Look("TIMEOUT", "yellow", "#e0a020"),
    Outcome.MEMORY: Look("MEMORY", "yellow", "#e0a020"),
    Outcome.CRASHED: Look("CRASH", "magenta", "#8e44ad"),
    Outcome.INTERNAL_ERROR: Look("GRADER BUG", "bold white on red", "#555555"),
}


def _points(value: float) -> str:
    return f"{value:g}"


def render(feedback: Feedback, console: Console) -> None:
    """Draw the feedback; everything shown is stripped of control characters first."""
    table = Table(title=f"{feedback.exercise}: {feedback.exercise_title}", title_justify="left", show_lines=False,
                  expand=False)
    table.add_column("", no_wrap=True)
    table.add_column("check", overflow="fold", ratio=2)
    table.add_column("points", justify="right", no_wrap=True)
    table.add_column("why", overflow="fold", ratio=3)
    for check in feedback.checks:
        look = OUTCOME_LOOK[check.outcome]
        why = Text()
        if check.outcome is not Outcome.PASSED:
            why.append(printable(check.message))
            if check.hint is not None:
                why.append("\nHint: ", style="bold cyan")
                why.append(printable(check.hint.text), style="cyan")
        name = Text(printable(check.name))
        if check.visibility == "hidden":
            name.append(" (hidden)", style="dim")
        table.add_row(Text(look.label, style=f"bold {look.style}"), name,
                      f"{_points(feedback.score_of(check))}/{_points(check.max_score)}", why)
    console.print(table)

    style = "green" if feedback.status is Status.GRADED and feedback.score == feedback.max_score else "bold"
    console.print(Text(f"Total: {_points(feedback.score)}/{_points(feedback.max_score)}", style=style)
                  + Text(f"   ({feedback.status.value.replace('_', ' ')}) ", style="dim")
                  + Text(printable(feedback.message)))
    if not feedback.hidden_checks_run:
        console.print(Text("Only the public checks ran here; hidden checks run when your work is submitted.", style="dim"))
    isolation = feedback.isolation
    if not isolation.strong:
        console.print(Text(f"Isolation: {isolation.mode} (weak: {'; '.join(isolation.notes)})", style="yellow"))
    if feedback.grader_error:
        console.print(Text(f"Grader error: {printable(feedback.grader_error)}", style="bold red"))
    output = feedback.output
    if output.stdout.strip() or output.stderr.strip():
        shown = (output.stdout + output.stderr).strip().splitlines()[-8:]
        console.print(Text("Your code printed (last lines):", style="dim"))
        for line in shown:
            console.print(Text("  " + printable(line[:200]), style="dim"))
