"""Resolve references to scikit-learn's documentation without intersphinx.

The skmg docstrings, the methods the estimators inherit from scikit-learn and
these pages refer to scikit-learn's API (``:class:`~sklearn.pipeline.Pipeline```),
to its glossary (``:term:`fit```) and to labels of its user guide
(``:ref:`metadata_routing```). Intersphinx resolves them, but needs the
network; an offline build would leave the first unlinked and warn on the
others. This extension runs after intersphinx, if any, and resolves what is
left:

- a scikit-learn class, function or method becomes a link to its page of the
  scikit-learn API reference;
- a glossary term becomes a link to scikit-learn's glossary;
- a label inside a docstring inherited from scikit-learn becomes plain text.

Any other unresolved reference behaves as usual (a missing label warns).
"""

import re

from docutils import nodes

SKLEARN = "https://scikit-learn.org/stable/"
GLOSSARY = SKLEARN + "glossary.html#term-{}"
API_PAGE = SKLEARN + "modules/generated/{}.html#{}"
PY_OBJECTS = {"class", "func", "meth", "attr", "obj", "exc", "data"}


def _link(refuri, contnode):
    reference = nodes.reference("", "", internal=False, refuri=refuri)
    reference += contnode
    return reference


def _sklearn_page(target):
    """The API page that documents ``target``: its class, or itself."""
    parts = target.split(".")
    for i, part in enumerate(parts):
        if part[:1].isupper():
            return ".".join(parts[: i + 1])
    return target


def resolve(app, env, node, contnode):
    domain, reftype = node.get("refdomain"), node.get("reftype")
    target = node.get("reftarget", "")
    if domain == "py" and reftype in PY_OBJECTS and target.startswith("sklearn."):
        return _link(API_PAGE.format(_sklearn_page(target), target), contnode)
    if domain != "std":
        return None
    if reftype == "term":
        anchor = re.sub(r"[^a-z0-9]+", "-", target.lower()).strip("-")
        return _link(GLOSSARY.format(anchor), contnode)
    if reftype == "ref" and "docstring of sklearn." in (node.source or ""):
        return contnode
    return None


def setup(app):
    # After intersphinx (priority 500), when it is enabled.
    app.connect("missing-reference", resolve, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
