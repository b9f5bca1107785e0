"""jsonschema, imported without the optional format libraries it would load at import time.

With `rfc3987_syntax` installed (nbgrader's Jupyter stack brings it), `import jsonschema` spends
about 0.9 s compiling a grammar for the "iri" formats, which our schemas never use; that doubled
the time of every `grade` command. `isoduration` (with arrow and dateutil, about 20 ms) and
`rfc3986_validator` only check the "duration" and "uri" formats, which our schemas never use either.
Marking them absent while jsonschema is imported makes it skip those formats; only "iri"'s grammar
stays absent afterwards (as before), the others can still be imported by whoever needs them.
"""

import sys

if "rfc3987_syntax" not in sys.modules:
    sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]

_SKIPPED = [name for name in ("isoduration", "rfc3986_validator") if name not in sys.modules]
for _name in _SKIPPED:
    sys.modules[_name] = None  # type: ignore[assignment]
try:
    import jsonschema  # noqa: E402
finally:
    for _name in _SKIPPED:
        if sys.modules.get(_name, ...) is None:
            del sys.modules[_name]

__all__ = ["jsonschema"]
