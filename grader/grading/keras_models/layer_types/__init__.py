"""The registry of Keras layers the grader runs in numpy: one small class per layer type.

To support another layer, write a subclass of `LayerType` in the module of its family, decorate it with
`@register`, and add its test against Keras' own predict (tests/test_keras_layers.py). Importing this package
registers every layer below.
"""

from grader.grading.keras_models.layer_types import (activation, convolution, core,  # noqa: F401
                                                      normalization, recurrent)
from grader.grading.keras_models.layer_types.base import (REGISTRY, LayerType, Planned, Step, layer_type,
                                                           register)

__all__ = ["REGISTRY", "LayerType", "Planned", "Step", "layer_type", "register"]
