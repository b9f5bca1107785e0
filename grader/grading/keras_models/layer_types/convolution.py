"""Conv2D and MaxPooling2D, channels last, as the course's CNN uses them."""

from __future__ import annotations

import numpy as np

from grader.grading.checklib import fail
from grader.grading.keras_models.activations import activation_of
from grader.grading.keras_models.budget import Deadline
from grader.grading.keras_models.description import LayerInfo
from grader.grading.keras_models.layer_types.base import (LayerType, Planned, Step, Weights, elements,
                                                          expect_declared, expect_weight_shapes, kernel_and_bias,
                                                          positive_ints, register)


@register
class Conv2D(LayerType):
    """A 2-D convolution with 'valid' or 'same' padding and any strides, then its activation."""

    kind = "Conv2D"
    takes_activation = True

    def weight_names(self, config: dict) -> tuple[str, ...]:
        return kernel_and_bias(config)

    def plan(self, layer: LayerInfo, weights: Weights, shape: tuple[int, ...], what: str) -> Planned:
        config = layer.config
        activation_of(layer, what)
        if len(shape) != 3:
            fail(f"{what} returned a model whose Conv2D layer gets inputs of shape {shape}; it needs (height, width, channels)")
        if config.get("data_format") not in (None, "channels_last"):
            fail("this check can only run Conv2D with data_format='channels_last'")
        if positive_ints(config.get("dilation_rate") or 1, 2, "dilation_rate") != (1, 1):
            fail("this check can only run Conv2D without dilation")
        kernel = weights["kernel"]
        filters = kernel.shape[-1] if kernel.ndim == 4 else -1
        kh, kw = (kernel.shape[:2] if kernel.ndim == 4 else (-1, -1))
        expect_weight_shapes(layer, weights, {"kernel": (kh, kw, shape[2], filters), "bias": (filters,)}, what)
        strides = positive_ints(config.get("strides") or 1, 2, "the Conv2D strides")
        padding = config.get("padding", "valid")
        (height, width, channels) = shape
        if padding == "same":
            out_h, out_w = -(-height // strides[0]), -(-width // strides[1])
            padded = (max((out_h - 1) * strides[0] + kh, height), max((out_w - 1) * strides[1] + kw, width))
        elif padding == "valid":
            if height < kh or width < kw:
                fail(f"{what} returned a model whose {kh}x{kw} convolution does not fit its {height}x{width} input")
            out_h, out_w = (height - kh) // strides[0] + 1, (width - kw) // strides[1] + 1
            padded = (height, width)
        else:
            fail(f"this check can only run Conv2D with padding 'valid' or 'same', not {padding!r}")
        per_sample = out_h * out_w * filters
        return Planned((out_h, out_w, filters), per_sample * kh * kw * channels,
                       max(per_sample, padded[0] * padded[1] * channels))

    def check_declared(self, step: Step, what: str) -> None:
        kernel, config = step.weights["kernel"], step.layer.config
        size = config.get("kernel_size")
        size = [size, size] if type(size) is int else list(size) if isinstance(size, (list, tuple)) else size
        expect_declared(step, {"filters": config.get("filters"), "kernel_size": size},
                        {"filters": kernel.shape[-1], "kernel_size": list(kernel.shape[:2])}, what)

    def run(self, x: np.ndarray, step: Step, deadline: Deadline) -> np.ndarray:
        kernel = step.weights["kernel"]
        strides = positive_ints(step.layer.config.get("strides") or 1, 2, "the Conv2D strides")
        if step.layer.config.get("padding", "valid") == "same":
            kh, kw = kernel.shape[:2]
            out_h, out_w = -(-x.shape[1] // strides[0]), -(-x.shape[2] // strides[1])
            pad_h = max((out_h - 1) * strides[0] + kh - x.shape[1], 0)
            pad_w = max((out_w - 1) * strides[1] + kw - x.shape[2], 0)
            x = np.pad(x, ((0, 0), (pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2), (0, 0)))
        patches = np.lib.stride_tricks.sliding_window_view(x, kernel.shape[:2], axis=(1, 2))
        patches = patches[:, ::strides[0], ::strides[1]]                  # (n, H', W', C, kh, kw)
        result = np.empty((*patches.shape[:3], kernel.shape[-1]))
        chunk = max(1, int(2e7 // max(1, patches[0].size * kernel.shape[-1])))   # a few samples at a time
        for start in range(0, len(x), chunk):
            deadline.check()
            np.einsum("nhwcij,ijcf->nhwf", patches[start:start + chunk], kernel, out=result[start:start + chunk])
        if "bias" in step.weights:
            result += step.weights["bias"]
        return activation_of(step.layer, "the model")(result)


@register
class MaxPooling2D(LayerType):
    kind = "MaxPooling2D"

    def plan(self, layer: LayerInfo, weights: Weights, shape: tuple[int, ...], what: str) -> Planned:
        config = layer.config
        if len(shape) != 3:
            fail(f"{what} returned a model whose MaxPooling2D layer gets inputs of shape {shape}")
        if config.get("padding", "valid") != "valid":
            fail("this check can only run MaxPooling2D with padding='valid'")
        pool, strides = self._window(config)
        if shape[0] < pool[0] or shape[1] < pool[1]:
            fail(f"{what} returned a model whose {pool} pooling does not fit its {shape[:2]} input")
        out = ((shape[0] - pool[0]) // strides[0] + 1, (shape[1] - pool[1]) // strides[1] + 1, shape[2])
        return Planned(out, elements(out) * pool[0] * pool[1], elements(out))

    def run(self, x: np.ndarray, step: Step, deadline: Deadline) -> np.ndarray:
        pool, strides = self._window(step.layer.config)
        windows = np.lib.stride_tricks.sliding_window_view(x, pool, axis=(1, 2))[:, ::strides[0], ::strides[1]]
        return windows.max(axis=(-2, -1))

    @staticmethod
    def _window(config: dict) -> tuple[tuple[int, ...], tuple[int, ...]]:
        pool = positive_ints(config.get("pool_size") or 2, 2, "the pool_size")
        return pool, positive_ints(config.get("strides") or pool, 2, "the pooling strides")
