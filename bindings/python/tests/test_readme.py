"""The Python examples of the docs, run as they are written: every
```` ```python ```` block of README.md, bindings/python/README.md,
examples/flask/README.md and every chapter of the book (docs/src/**/*.md)
executes in a fresh namespace (the blocks assert their own results), so the
docs cannot drift from the package. (The Rust blocks are doctests: README.md's
of shopcore-mysql, ``ReadmeDoctests``.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
READMES = [ROOT / "README.md", ROOT / "bindings" / "python" / "README.md", ROOT / "examples" / "flask" / "README.md"]
CHAPTERS = sorted((ROOT / "docs" / "src").rglob("*.md"))
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def blocks() -> list[tuple[str, str]]:
    found = []
    for document in READMES + CHAPTERS:
        text = document.read_text(encoding="utf-8")
        for match in BLOCK.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append((f"{document.relative_to(ROOT)}:{line}", match.group(1)))
    return found


def test_the_readmes_have_python_examples() -> None:
    assert len(blocks()) >= 3


def test_the_book_has_python_examples() -> None:
    assert CHAPTERS, "docs/src has no chapters"
    assert any(where.startswith("docs/") for where, _ in blocks())


@pytest.mark.parametrize(("where", "source"), blocks(), ids=[where for where, _ in blocks()])
def test_a_readme_python_block_runs(where: str, source: str) -> None:
    exec(compile(source, where, "exec"), {"__name__": "readme"})
