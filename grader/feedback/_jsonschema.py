"""jsonschema, imported without the optional IRI grammar it would build at import time.

With `rfc3987_syntax` installed (nbgrader's Jupyter stack brings it), `import jsonschema` spends
about 0.9 s compiling a grammar for the "iri" formats, which our schemas never use; that doubled
the time of every `grade` command. Marking the module absent makes jsonschema skip those formats.
"""

import sys

if "rfc3987_syntax" not in sys.modules:
    sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]

import jsonschema  # noqa: E402

__all__ = ["jsonschema"]
