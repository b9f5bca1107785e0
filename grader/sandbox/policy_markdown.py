"""docs/isolation.md's tables, printed from `policy` so the page says what the sandbox does.

`python -m grader.sandbox.policy --markdown` prints them; tests/test_isolation_policy.py checks that the page holds
exactly these lines between its markers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields

from grader.course.model import Limits
from grader.sandbox import policy
from grader.sandbox.policy import Match

BEGIN = "<!-- BEGIN tables printed by `python -m grader.sandbox.policy --markdown`: edit grader/sandbox/policy.py -->"
END = "<!-- END tables printed by `python -m grader.sandbox.policy --markdown` -->"


def _code(items: Sequence[str]) -> str:
    return ", ".join(f"`{item}`" for item in items)


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _who() -> list[tuple[str, str]]:
    limits = Limits()
    environment = ", ".join(f"`{name}={value}`" for name, value in policy.scrubbed_environment(policy.SCRATCH).items())
    return [
        ("identity", f"the grader's own uid when it is not root; when it is root, uid and gid "
                     f"{policy.DEFAULT_SANDBOX_ID} (`nobody`; `GRADER_SANDBOX_UID`/`GRADER_SANDBOX_GID` choose another) "
                     f"on the host, never uid 0: root starts bubblewrap through util-linux's "
                     f"{_code(policy.ROOT_DROP_TOOLS)}, binding the folders the sandbox needs onto a staging folder in a "
                     f"private mount namespace first, so a Python under `/root` still works; if that cannot be set up, "
                     f"the grader refuses to grade and says why"),
        ("capabilities", "none, in any namespace it can reach: effective, permitted, inheritable, ambient and bounding "
                         "sets are empty (bubblewrap's `--cap-drop ALL`, then the child drops them again)"),
        ("privileges", "`no_new_privs` is set, so nothing it executes can gain privileges; the processes of ours beside "
                       "it (the warm template, the init of its pid namespace) are not dumpable"),
        ("namespaces", f"new {', '.join(policy.SANDBOX_NAMESPACES)} namespaces "
                       f"({_code(policy.BWRAP_NAMESPACE_OPTIONS)}, hostname `{policy.HOSTNAME}`); inside them each warm "
                       f"child, and each cold one where the kernel allows nested namespaces, makes new "
                       f"{', '.join(policy.CHILD_NAMESPACES)} namespaces of its own, and the student's process runs "
                       f"under an init of ours with the namespace's own `/proc`, never beside bubblewrap's init"),
        ("read-only", f"{_code(policy.SYSTEM_DIRS)} and {_code(policy.SYSTEM_FILES)} where they exist; the Python "
                      f"installation and its virtual environment; the grader package under `{policy.PACKAGE_ROOT}`; "
                      f"a copy of the submission's one file in `{policy.SUBMISSION_DIR}/`; "
                      f"{_code(policy.READ_ONLY_REMOUNTS)} remounted read-only; `/proc/sys` read-only; no `/sys`; "
                      f"no course, hidden checks, solutions, other submissions or `$HOME`"),
        ("writable", f"only a private tmpfs of the exercise's `scratch_mb` ({limits.scratch_mb} MB unless course.yaml "
                     f"says otherwise) at each of {_code(policy.WRITABLE_DIRS)}; `{policy.SCRATCH}` is the working "
                     f"folder and `$HOME`; a warm child gets empty ones of its own"),
        ("devices", f"{_code(policy.DEVICES)} in `/dev` (bubblewrap's `--dev`)"),
        ("network", "none: a network namespace of its own, with no interface but loopback"),
        ("environment", f"only {environment}; stdin closed; killed with the grader (`--die-with-parent`)"),
    ]


def _syscalls() -> list[tuple[str, str, str, str]]:
    rows = []
    for rule in policy.SECCOMP_RULES:
        calls = _code(rule.syscalls) if rule.match in (Match.SYSCALLS, Match.CLONE_NAMESPACE_FLAGS) else rule.match.value
        calls = "any other" if rule.match is Match.OTHERWISE else calls
        rows.append((rule.what, calls, rule.action.value, rule.why))
    return rows


def _limits() -> list[tuple[str, str, str]]:
    defaults = Limits()
    return [(f"`{rule.limit.value}`", f"`{rule.setting}` ({getattr(defaults, rule.setting):g})", rule.enforced_by)
            for rule in policy.LIMIT_RULES]


def _preloads() -> list[tuple[str, str]]:
    rows = [("every exercise", _code(policy.preload_for(())))]
    return rows + [(f"`{requirement}`", _code(policy.preload_for((requirement,))))
                   for requirement in policy.PRELOAD_FOR_REQUIREMENT]


def _exits() -> list[tuple[str, str, str]]:
    rows = [(str(status.code), status.meaning, status.exits) for status in policy.SETUP_EXITS]
    return rows + [(f"{policy.SIGNAL_EXIT_BASE} + N", "the cold sandbox's child was killed by signal N",
                    "bubblewrap, reporting its child's signal")]


def tables() -> str:
    """The generated part of docs/isolation.md, markers included."""
    limit_settings = ", ".join(f"`{field.name}`" for field in fields(Limits))
    lines = [BEGIN, "", "What the student's code is, in both `bwrap` modes:", ""]
    lines += _table(("", "in both `bwrap` modes"), _who())
    lines += ["", "System calls: a seccomp filter on x86-64 (elsewhere none, and the feedback says so), loaded by the "
              "child on itself right before the student's code runs. Its rules, in the order it applies them:", ""]
    lines += _table(("what", "system calls", "answer", "why"), _syscalls())
    lines += ["", f"Limits: each one that stops a call is named in the check's `limit` field and message. course.yaml "
              f"sets them per exercise ({limit_settings}); the defaults are shown.", ""]
    lines += _table(("limit", "setting (default)", "enforced by"), _limits())
    lines += ["", f"Core dumps are off (`RLIMIT_CORE` {policy.CORE_DUMP_BYTES}). Printed output is kept as a bounded "
              f"tail of `output_kib` ({Limits().output_kib:g} KiB) per stream, stripped of terminal escapes.", "",
              f"What a warm template imports before it forks (import only: no operation runs before a fork); a "
              f"template is replaced after {policy.TEMPLATE_RESTART_AFTER} submissions:", ""]
    lines += _table(("the exercise requires", "the template imports"), _preloads())
    lines += ["", "The sandbox's own exit statuses. They explain only a child that died before it said the sandbox "
              "was ready, which is the grader's failure (`grader_failed`); after that message every exit code is the "
              "student's code's own.", ""]
    lines += _table(("exit code", "meaning", "who exits with it"), _exits())
    return "\n".join([*lines, "", END]) + "\n"
