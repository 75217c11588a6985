"""Sphinx extension: ``.. module-table::``, the package's modules and what each is for.

The table is read from the first line of every module's docstring at build
time (without importing anything), so it follows the code as modules are
added, split or renamed.
"""

import ast
import pathlib

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

PACKAGE = pathlib.Path(__file__).resolve().parents[2] / "sktsmixer"


def rows(package=PACKAGE):
    """``(module path, first paragraph of its docstring)`` for every module, sorted."""
    found = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package.parent)
        docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        summary = docstring.strip().split("\n\n")[0].replace("\n", " ")
        found.append((relative.as_posix(), summary))
    return found


class ModuleTable(SphinxDirective):
    has_content = False

    def run(self):
        lines = [
            ".. list-table::",
            "   :header-rows: 1",
            "   :widths: 35 65",
            "",
            "   * - module",
            "     - what it holds",
        ]
        for path, summary in rows():
            self.env.note_dependency(str(PACKAGE.parent / path))
            lines += [f"   * - ``{path}``", f"     - {summary or '-'}"]
        holder = nodes.section()
        holder.document = self.state.document
        nested_parse_with_titles(self.state, StringList(lines, source="sktsmixer"), holder)
        return holder.children


def setup(app):
    app.add_directive("module-table", ModuleTable)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
