"""Every source or test file the README and docs/ name exists: they named sitwatch/config.py,
sitwatch/wire.py, sitwatch/sources/serial_source.py and tests/unit/test_report_html.py long
after those files had moved, and a reader looking for them found nothing."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# a repository path of a Python file, as the docs write them: sitwatch/... or tests/...
PATH = re.compile(r"(?<![\w/.-])((?:sitwatch|tests)/[\w./-]+\.py)\b")


def test_the_docs_name_python_files() -> None:
    # the check below means something only if it finds paths to check
    assert sum(len(PATH.findall(doc.read_text(encoding="utf-8"))) for doc in DOCS) >= 10


def test_every_python_file_the_docs_name_exists() -> None:
    missing = [f"{doc.relative_to(ROOT)}: {path}"
               for doc in DOCS
               for path in sorted(set(PATH.findall(doc.read_text(encoding="utf-8"))))
               if not (ROOT / path).is_file()]
    assert missing == [], "the docs name files that do not exist (moved? renamed?)"
