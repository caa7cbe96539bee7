"""numpydoc validation of the docstrings of the public API."""

import inspect

import pytest

numpydoc_validate = pytest.importorskip("numpydoc.validate")

import skmg  # noqa: E402
import skmg.fusion  # noqa: E402
import skmg.inspection  # noqa: E402

# Checks left out, as scikit-learn leaves them out: global formatting (GL01,
# GL02), extended summary (ES01), See Also (SA01), Examples on every method
# (EX01), one-line returns (RT02), summary in the infinitive (SS05), no
# docstring on inherited helpers (GL08), parameters documented on the class
# rather than in __init__ (PR02 on delegated signatures), Yields (YD01).
IGNORED = {
    "GL01",
    "GL02",
    "ES01",
    "SA01",
    "EX01",
    "RT02",
    "SS05",
    "GL08",
    "PR02",
    "YD01",
}


def _public_names():
    objects = [
        (f"skmg.{name}", getattr(skmg, name))
        for name in skmg.__all__
        if not name.startswith("__")
    ]
    objects += [
        (f"skmg.inspection.{name}", getattr(skmg.inspection, name))
        for name in skmg.inspection.__all__
    ]
    objects += [
        (f"skmg.fusion.{name}", getattr(skmg.fusion, name))
        for name in skmg.fusion.__all__
        if name != "FUSIONS"
    ]
    names = []
    for name, obj in objects:
        names.append(name)
        if inspect.isclass(obj):
            # methods defined by skmg itself, not inherited from scikit-learn
            names += [
                f"{name}.{attribute}"
                for attribute, member in vars(obj).items()
                if not attribute.startswith("_")
                and (
                    callable(member)
                    or isinstance(member, property)
                    or hasattr(member, "fn")  # an available_if method
                )
            ]
    return names


@pytest.mark.parametrize("name", _public_names())
def test_docstring(name):
    """The docstring follows numpydoc (all checks but the ones left out)."""
    result = numpydoc_validate.validate(name)
    errors = [
        f"{code}: {message}"
        for code, message in result["errors"]
        if code not in IGNORED
    ]
    assert not errors, f"{name}:\n" + "\n".join(errors)
