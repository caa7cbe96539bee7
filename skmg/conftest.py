import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _numpy_print_options():
    with np.printoptions(precision=4, suppress=True, legacy=False):
        yield
