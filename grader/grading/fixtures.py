"""What the grader gives a check by parameter name: `submission`, `seed`, `rng`, `reference`.

One submission's values: the runner and the author's pytest plugin both ask here, so a check gets the same
generator and the same reference module whichever of them calls it.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from grader.grading.checklib import load_module
from grader.grading.proxy import SubmissionProxy


class Fixtures:
    def __init__(self, proxy: SubmissionProxy, seed: int, reference_path: Path | None) -> None:
        self.proxy = proxy
        self.seed = seed
        self._reference_path = reference_path
        self._reference: ModuleType | None = None

    def value(self, name: str, check_id: str) -> Any:
        if name == "submission":
            return self.proxy
        if name == "seed":
            return self.seed
        if name == "rng":
            return self.rng(check_id)
        if name == "reference":
            return self.reference()
        raise RuntimeError(f"{name} is not a fixture of the grader")

    def rng(self, check_id: str) -> np.random.Generator:
        """Seeded per check, so one check's draws do not depend on which checks ran before it."""
        return np.random.default_rng([self.seed, zlib.crc32(check_id.encode())])

    def reference(self) -> ModuleType:
        """The reference solution, for hidden checks only (students never have it); loaded once per submission."""
        if self._reference is None:
            if self._reference_path is None or not self._reference_path.is_file():
                raise RuntimeError("the reference solution is not available to this check")
            self._reference = load_module(self._reference_path, f"reference_{abs(hash(self._reference_path))}")
        return self._reference
