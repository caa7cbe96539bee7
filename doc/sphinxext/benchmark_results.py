"""Put the tables written by ``benchmarks/bench_*.py`` on the benchmarks page.

Each benchmark script writes its table as Markdown to
``benchmarks/results/<script>.md`` (``<script>_quick.md`` for a ``--quick``
run). At the start of every build this extension writes
``_generated/benchmark_results.inc``: one section per script, with the first
paragraph of its docstring, the command that reproduces the table, and the
table itself, read through MyST from a copy in ``_generated/`` whose Markdown
headings are turned into bold lines (a section cannot start inside the page's
own sections). A script without results gets a section that says so; results
without a script still appear. Nothing is typed by hand, and a missing file
never breaks the build.

The results folder is ``../benchmarks/results`` from this documentation, or
the folder named by the environment variable ``SKMG_BENCHMARK_RESULTS``.
"""

import ast
import os
import re
from pathlib import Path

GENERATED = Path("_generated")
INCLUDE = GENERATED / "benchmark_results.inc"
QUICK = "_quick"
HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$")


def _summary(script):
    """The first paragraph of a script's docstring, on one line."""
    try:
        docstring = ast.get_docstring(ast.parse(script.read_text(encoding="utf-8")))
    except (OSError, SyntaxError, ValueError):
        return ""
    paragraph = []
    for line in (docstring or "").strip().splitlines():
        if not line.strip():
            break
        paragraph.append(line.strip())
    return " ".join(paragraph)


def _write_if_changed(path, text):
    """Write ``text`` to ``path`` unless it holds it already, so that an
    unchanged page is not rebuilt."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def _without_headings(markdown):
    """The Markdown with its headings (outside code fences) as bold lines."""
    lines, fenced = [], False
    for line in markdown.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        match = None if fenced else HEADING.match(line)
        lines.append(f"**{match.group(1)}**" if match else line)
    return "\n".join(lines) + "\n"


def _section(name, script, results, srcdir):
    """The reStructuredText of one benchmark."""
    full, quick = results / f"{name}.md", results / f"{name}{QUICK}.md"
    if not full.is_file() and quick.is_file():
        table, flag = quick, " --quick"
    else:
        table, flag = full, ""
    title = name
    lines = [f".. _benchmark-{name}:", "", title, "-" * len(title), ""]
    summary = _summary(script) if script is not None else ""
    if summary:
        lines += [summary, ""]
    if script is not None:
        lines += [
            "Reproduce it from the root of the repository with:",
            "",
            ".. code-block:: bash",
            "",
            f"   python benchmarks/{name}.py{flag}",
            "",
        ]
    if not table.is_file():
        lines += [
            f"No table has been recorded yet (``benchmarks/results/{name}.md``).",
            "",
        ]
        return lines
    if flag:
        lines += ["Only a short run (``--quick``) has been recorded:", ""]
    copy = GENERATED / table.name
    _write_if_changed(srcdir / copy, _without_headings(table.read_text("utf-8")))
    # A leading "/" makes Sphinx read the path from the source directory.
    path = "/" + copy.as_posix()
    lines += [
        ".. container:: benchmark-table",
        "",
        f"   .. include:: {path}",
        "      :parser: myst_parser.sphinx_",
        "",
    ]
    return lines


def write_include(app):
    srcdir = Path(app.srcdir)
    benchmarks = (srcdir / ".." / "benchmarks").resolve()
    results = Path(
        os.environ.get("SKMG_BENCHMARK_RESULTS", benchmarks / "results")
    ).resolve()
    scripts = {path.stem: path for path in sorted(benchmarks.glob("bench_*.py"))}
    for table in sorted(results.glob("bench_*.md")):
        name = table.stem.removesuffix(QUICK)
        scripts.setdefault(name, None)

    lines = []
    for name in sorted(scripts):
        lines += _section(name, scripts[name], results, srcdir)
    if not lines:
        lines = ["No benchmark has been written yet.", ""]
    _write_if_changed(srcdir / INCLUDE, "\n".join(lines))
    # Copies of tables that are gone would linger otherwise.
    included = {line.split("/")[-1] for line in lines if ".. include::" in line}
    for copy in (srcdir / GENERATED).glob("bench_*.md"):
        if copy.name not in included:
            copy.unlink()


def setup(app):
    app.connect("builder-inited", write_include)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
