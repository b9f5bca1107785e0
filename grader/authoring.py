"""What a check file may import: the one public API for course authors writing checks.

Check files (exercises/NN/public_checks.py, solutions/NN/hidden_checks.py) run in the trusted
grader process and import only from here, so the modules behind it can move without touching them.
Everything checklib declares public is public here too.
"""

from grader.datasets import CONCRETE_COLUMNS, concrete_arrays, digits_images
from grader.grading import checklib, keras_models
from grader.grading.checklib import *  # noqa: F401,F403  (its __all__ is part of this API)
from grader.grading.lab_calls import call_as_in_the_lab
from grader.sandbox.wire import Column, Frame

__all__ = [*checklib.__all__, "call_as_in_the_lab", "keras_models", "Column", "Frame", "CONCRETE_COLUMNS", "concrete_arrays", "digits_images"]
