"""Checking a feedback document against its schema: jsonschema against the compiled check batch workers use.

    python benchmarks/feedback_validation.py [--runs 500]

Grades 02_backprop once with the sandbox scripted to answer as the reference (no bubblewrap needed) to get
a real document, then times `schema_errors` on it with jsonschema and with fastjsonschema's compiled code of the
same schema (`compile_validation`), in this one process, and prints both and their ratio.
"""

from __future__ import annotations

import argparse
import sys
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from conftest import scripted_grading  # noqa: E402
from grader.feedback import model  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500)
    options = parser.parse_args()
    document = scripted_grading().to_dict()
    assert model.schema_errors(document) == []
    plain = timeit.timeit(lambda: model.schema_errors(document), number=options.runs) / options.runs
    model.compile_validation()
    assert model.schema_errors(document) == []
    compiled = timeit.timeit(lambda: model.schema_errors(document), number=options.runs) / options.runs
    print(f"a feedback document of {len(document['checks'])} checks, {options.runs} runs each:")
    print(f"  jsonschema (Draft 2020-12):        {plain * 1000:.3f} ms")
    print(f"  compiled (fastjsonschema, draft 7): {compiled * 1000:.3f} ms  ({plain / compiled:.1f}x faster)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
