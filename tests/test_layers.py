"""The package's layering is a rule, not a description: `.importlinter` lists the layers and lint-imports
(import-linter) must find no import that goes up or across; README's Layout section names the same layers in
the same order."""

from __future__ import annotations

import configparser
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def layers() -> list[list[str]]:
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    text = config["importlinter:contract:layers"]["layers"]
    return [[name.strip() for name in re.split(r"[|:]", line)] for line in text.strip().splitlines()]


def test_no_import_goes_up_a_layer():
    result = subprocess.run([sys.executable, "-c", "import sys; from importlinter.cli import lint_imports; "
                             "sys.exit(lint_imports(no_cache=True, no_logo=True))"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_every_module_of_the_package_is_in_a_layer():
    """A new top-level module or package must be placed in a layer, or the contract would not see it."""
    placed = {name for layer in layers() for name in layer}
    present = {f"grader.{path.stem}" for path in (ROOT / "grader").glob("*.py")
               if path.stem not in ("__init__", "__main__")} | \
              {f"grader.{path.name}" for path in (ROOT / "grader").iterdir()
               if path.is_dir() and (path / "__init__.py").is_file()}
    assert present - placed == set(), "place these in .importlinter's layers"


def test_the_readme_describes_the_same_layers_in_the_same_order():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Layout"):]
    section = section[:section.find("\n## ", 5)] if "\n## " in section[5:] else section
    positions = []
    for layer in layers():
        found = [section.find(name.removeprefix("grader.").join("``")) for name in layer]
        assert all(where >= 0 for where in found), f"README's Layout does not name {layer}"
        positions.append(min(found))
    assert positions == sorted(positions), "README's Layout lists the layers in another order than .importlinter"
