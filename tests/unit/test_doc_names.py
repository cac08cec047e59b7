"""What sitwatch tells people names a document as `sitwatch docs NAME`, never as docs/NAME.md:
a wheel or pipx install has no docs/ folder, so "see docs/protocol.md" pointed nowhere, while
`sitwatch docs protocol` prints the installed copy wherever sitwatch runs from.

Scanned: every string in sitwatch/ that is not a docstring (messages, ``--help`` texts, the
config's key descriptions), the rendered config sample (which also carries the config
sections' docstrings), and the files shipped inside the package (layouts, templates, the web
app's files). Docstrings and comments are for developers with the repository, and keep naming
docs/NAME.md."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from sitwatch import config

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "sitwatch"
DOC_PATH = re.compile(r"docs/[\w.-]+\.md")
#: the one legitimate mention: `sitwatch docs` takes the README's docs/NAME.md as a name
ALLOWED = ("the README's docs/protocol.md works too",)


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the constants that are docstrings (module, class, function)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _named(text: str) -> list[str]:
    for ok in ALLOWED:
        text = text.replace(ok, "")
    return DOC_PATH.findall(text)


def _strings_naming_doc_paths() -> list[str]:
    hits = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _docstrings(tree)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and id(node) not in skip and _named(node.value)):
                hits.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:70]!r}")
    return hits


def test_no_message_names_a_repository_doc_path() -> None:
    assert _strings_naming_doc_paths() == [], "say `sitwatch docs NAME` instead"


def test_the_config_sample_names_no_repository_doc_path() -> None:
    rendered = config.render()
    assert "`sitwatch docs protocol`" in rendered  # the check below sees the comments
    assert _named(rendered) == []


def test_the_shipped_files_name_no_repository_doc_path() -> None:
    data = [p for p in (PACKAGE / "data").rglob("*")
            if p.is_file() and p.suffix in {".toml", ".j2", ".js", ".css", ".html"}]
    assert len(data) >= 10  # layouts, report templates, the web app's
    hits = [f"{p.relative_to(ROOT)}: {m}" for p in data
            for m in _named(p.read_text(encoding="utf-8"))]
    assert hits == [], "say `sitwatch docs NAME` instead"


def test_the_scan_finds_a_doc_path_in_a_message(tmp_path) -> None:
    """The scan itself: a message naming docs/X.md is found, its docstring is not."""
    tree = ast.parse('"""See docs/a.md."""\ndef f():\n    """docs/b.md"""\n'
                     '    return f"read docs/c.md, {x}"\n')
    skip = _docstrings(tree)
    said = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)
            and isinstance(n.value, str) and id(n) not in skip and _named(n.value)]
    assert said == ["read docs/c.md, "]
