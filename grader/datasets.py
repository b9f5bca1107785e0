"""Small data sets for the exercises, made here: nothing is ever downloaded while grading.

`concrete_data` mimics the course lab's concrete compressive strength data (the real column names
and plausible ranges; strength follows cement, water and age as in real mixes). If you have the
lab's CSV, `load_concrete_data(path)` reads it instead. Functions return numpy arrays and, where the
labs use pandas, a pandas DataFrame.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

CONCRETE_COLUMNS = ("Cement", "Blast Furnace Slag", "Fly Ash", "Water", "Superplasticizer",
                    "Coarse Aggregate", "Fine Aggregate", "Age", "Strength")
_RANGES = {"Cement": (102, 540), "Blast Furnace Slag": (0, 359), "Fly Ash": (0, 200), "Water": (122, 247),
           "Superplasticizer": (0, 32), "Coarse Aggregate": (801, 1145), "Fine Aggregate": (594, 993)}
_AGES = np.array([1, 3, 7, 14, 28, 56, 90, 180, 270, 365])


def concrete_arrays(rows: int = 300, seed: int = 0) -> dict[str, np.ndarray]:
    """The columns of a generated concrete data set, by name, in the lab's order."""
    rng = np.random.default_rng(seed)
    data: dict[str, np.ndarray] = {name: np.round(rng.uniform(low, high, rows), 1) for name, (low, high) in _RANGES.items()}
    data["Blast Furnace Slag"] *= rng.random(rows) < 0.55   # many mixes use none
    data["Fly Ash"] *= rng.random(rows) < 0.45
    data["Superplasticizer"] *= rng.random(rows) < 0.65
    data["Age"] = rng.choice(_AGES, rows, p=[0.01, 0.13, 0.12, 0.06, 0.41, 0.09, 0.1, 0.03, 0.01, 0.04]).astype(float)
    strength = (0.11 * data["Cement"] + 0.08 * data["Blast Furnace Slag"] + 0.06 * data["Fly Ash"]
                - 0.2 * data["Water"] + 0.25 * data["Superplasticizer"] + 9.0 * np.log(data["Age"])
                + rng.normal(0, 4, rows))
    data["Strength"] = np.round(np.clip(strength, 2.3, 82.6), 2)
    return {name: data[name] for name in CONCRETE_COLUMNS}


def concrete_data(rows: int = 300, seed: int = 0):
    """The generated concrete data as a pandas DataFrame, as `pd.read_csv` gives it in the lab."""
    import pandas as pd

    return pd.DataFrame(concrete_arrays(rows, seed), columns=list(CONCRETE_COLUMNS))


def load_concrete_data(path: str | Path | None = None, rows: int = 1030, seed: int = 0):
    """The lab's CSV when you have it; otherwise generated data of the same shape (1030 rows)."""
    import pandas as pd

    if path is not None:
        return pd.read_csv(path)
    return concrete_data(rows, seed)


def digits_images(seed: int = 0, test_fraction: float = 0.25):
    """Handwritten digits as 8x8 grayscale images (0..255) with labels, split into train and test.

    The lab uses MNIST (28x28), which it downloads; these are scikit-learn's bundled digits, scaled to
    the same 0..255 range, so the lab's code (flatten, divide by 255, to_categorical) works as it is.
    Returns (X_train, y_train), (X_test, y_test).
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = np.clip(digits.images * 16, 0, 255).astype("uint8")
    labels = digits.target.astype("int64")
    order = np.random.default_rng(seed).permutation(len(images))
    cut = int(len(images) * (1 - test_fraction))
    train, test = order[:cut], order[cut:]
    return (images[train], labels[train]), (images[test], labels[test])


MNIST_TRAIN, MNIST_TEST, MNIST_SIDE = 60_000, 10_000, 28


def mnist_like(seed: int = 0):
    """Generated digits with MNIST's shapes and dtypes: (x_train, y_train), (x_test, y_test), images
    (60000, 28, 28) and (10000, 28, 28) uint8 in 0..255, labels uint8.

    Not MNIST (which is downloaded, and the grader has no network): scikit-learn's bundled 8x8 digits,
    each pixel doubled to 16x16 and placed at a random offset near the centre of a 28x28 frame, as MNIST
    centres its 20x20 digits. Lab code written for MNIST runs on it unchanged; accuracies differ.
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    base = np.kron(np.clip(digits.images * 16, 0, 255), np.ones((2, 2))).astype("uint8")   # (1797, 16, 16)
    rng = np.random.default_rng(seed)
    total = MNIST_TRAIN + MNIST_TEST
    chosen = rng.integers(0, len(base), total)
    rows, cols = rng.integers(4, 9, total), rng.integers(4, 9, total)
    images = np.zeros((total, MNIST_SIDE, MNIST_SIDE), dtype="uint8")
    for row in range(4, 9):
        for col in range(4, 9):
            here = (rows == row) & (cols == col)
            images[here, row:row + 16, col:col + 16] = base[chosen[here]]
    labels = digits.target[chosen].astype("uint8")
    return (images[:MNIST_TRAIN], labels[:MNIST_TRAIN]), (images[MNIST_TRAIN:], labels[MNIST_TRAIN:])
