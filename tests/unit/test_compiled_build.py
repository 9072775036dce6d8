"""CI runs the simulation's compiled loop: there the optional extension must have built.

Elsewhere it is optional (an install without a C compiler runs the interpreted loop), so
the test is skipped when ``CI`` is not set.
"""

from __future__ import annotations

import importlib
import os

import pytest


@pytest.mark.skipif(
    not os.environ.get("CI"),
    reason="the compiled extension is optional outside CI (CI=true requires it)",
)
def test_ci_builds_the_compiled_extension() -> None:
    importlib.import_module("ticketlog.simulation._compiled")
