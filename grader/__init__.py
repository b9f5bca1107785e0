"""Auto-grader for the course *Introduction to Deep Learning & Neural Networks with Keras*.

Kept light on purpose: the sandboxed child imports `grader.wire` through this package.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
