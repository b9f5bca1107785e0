"""One module per `grade` subcommand, each with `run(argv) -> ExitCode`; `grader.cli` only parses the
command's name and dispatches. A command imports what only it needs when it runs, so a student's `grade`
starts its sandbox before pytest, rich and the other commands' modules are loaded."""
