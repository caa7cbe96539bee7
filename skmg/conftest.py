import importlib.util

import numpy as np
import pytest

# skmg.onnx needs skl2onnx (the "onnx" extra): without it, its doctests are
# not collected, as tests/test_onnx.py is skipped.
collect_ignore = [] if importlib.util.find_spec("skl2onnx") else ["onnx.py"]


@pytest.fixture(autouse=True)
def _numpy_print_options():
    with np.printoptions(precision=4, suppress=True, legacy=False):
        yield
