"""What a check file may import: the one public API for course authors writing checks.

Check files (exercises/NN/public_checks.py, solutions/NN/hidden_checks.py) run in the trusted
grader process and import only from here, so the modules behind it can move without touching them.
Everything checklib, expectations, readers and roots declare public is public here too; `keras_models`
is the Keras model view. docs/authoring-api.md is generated from these docstrings:
`python -m grader.authoring --markdown > docs/authoring-api.md`.
"""

from grader.datasets import CONCRETE_COLUMNS, concrete_arrays, digits_images
from grader.grading import checklib, expectations, keras_models, readers, roots
from grader.grading.checklib import *  # noqa: F401,F403  (its __all__ is part of this API)
from grader.grading.expectations import *  # noqa: F401,F403
from grader.grading.lab_calls import call_as_in_the_lab
from grader.grading.readers import *  # noqa: F401,F403
from grader.grading.roots import *  # noqa: F401,F403
from grader.sandbox.wire import Column, Frame

__all__ = [*checklib.__all__, *expectations.__all__, *readers.__all__, *roots.__all__, "call_as_in_the_lab",
           "keras_models", "Column", "Frame", "CONCRETE_COLUMNS", "concrete_arrays", "digits_images"]

if __name__ == "__main__":
    import importlib
    import sys

    from grader.grading.api_reference import main

    sys.exit(main(sys.argv[1:], importlib.import_module("grader.authoring")))   # the module, not this __main__ copy
