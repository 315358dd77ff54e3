#!/usr/bin/env python3
"""Checks every relative link and anchor of the docs: README.md, the book's
chapters (docs/src/**/*.md), bindings/python/README.md and
examples/flask/README.md.

A link is ``[text](target)``, ``![alt](target)`` or a reference definition
``[name]: target``, outside fenced code blocks and inline code. A target must
name a file or directory that exists (relative to the document), and its
``#anchor``, if any, a heading of that Markdown file (the document itself for
``#anchor`` alone) by its GitHub/mdBook slug: lower case, spaces to ``-``,
punctuation dropped, a repeated heading suffixed ``-1``, ``-2``, …. Links with
a scheme (``https:``, ``mailto:``) and mdBook's ``{{#include …}}`` lines are
not checked here.

    python3 scripts/check_doc_links.py              # fails (exit 1) listing each broken link
    python3 scripts/check_doc_links.py --self-test  # shows on a made-up tree that a broken
                                                    # file link and a broken anchor are found
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^\s*(```|~~~)")
CODE_SPAN = re.compile(r"(`+)(?:(?!\1)(?!\n[ \t]*\n).)+?\1", re.S)  # within a paragraph
COMMENT = re.compile(r"<!--.*?-->", re.S)
INLINE = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def documents(root: Path) -> list[Path]:
    """The Markdown files whose links are checked."""
    found = [root / "README.md", root / "bindings" / "python" / "README.md", root / "examples" / "flask" / "README.md"]
    found += sorted((root / "docs" / "src").rglob("*.md"))
    return [path for path in found if path.is_file()]


def prose(text: str, keep_code: bool = False) -> str:
    """``text`` with fenced code blocks, HTML comments, ``{{#include}}`` lines
    and (unless ``keep_code``: a heading's anchor keeps its code's text) inline
    code blanked out, line breaks kept so that offsets still give line numbers."""
    text = COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    lines, fenced = [], None
    for line in text.split("\n"):
        fence = FENCE.match(line)
        if fence:
            if fenced is None:
                fenced = fence.group(1)
            elif fence.group(1) == fenced:
                fenced = None
            lines.append("")
        elif fenced is not None or "{{#include" in line:
            lines.append("")
        else:
            lines.append(line)
    kept = "\n".join(lines)
    return kept if keep_code else CODE_SPAN.sub(lambda m: "\n" * m.group(0).count("\n"), kept)


def slug(heading: str) -> str:
    """A heading's anchor as GitHub and mdBook make it."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading: its text
    text = re.sub(r"<[^>]+>", "", text).strip().lower()
    kept = "".join(ch for ch in text if ch.isalnum() or ch in "-_ " or ch.isspace())
    return re.sub(r"\s", "-", kept)


def anchors(path: Path) -> set[str]:
    """Every heading anchor of a Markdown file, repeated headings numbered."""
    seen: dict[str, int] = {}
    found = set()
    for line in prose(path.read_text(encoding="utf-8"), keep_code=True).split("\n"):
        match = HEADING.match(line)
        if not match:
            continue
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(text: str) -> list[tuple[int, str]]:
    """Every link target of a document, with its line (a link's text may
    run over several lines)."""
    kept = prose(text)
    found = [(kept.count("\n", 0, m.start(1)) + 1, m.group(1)) for m in INLINE.finditer(kept)]
    for number, line in enumerate(kept.split("\n"), 1):
        reference = REFERENCE.match(line)
        if reference:
            found.append((number, reference.group(1)))
    return sorted(found)


def broken(paths: list[Path], root: Path) -> list[str]:
    """One line per link that does not resolve: where it is, and why."""
    problems = []
    cache: dict[Path, set[str]] = {}
    for path in paths:
        for number, target in links(path.read_text(encoding="utf-8")):
            if SCHEME.match(target):
                continue
            file_part, _, anchor = target.partition("#")
            destination = (path.parent / file_part).resolve() if file_part else path
            where = f"{path.relative_to(root)}:{number}: {target}"
            if not destination.exists():
                problems.append(f"{where}: no such file")
                continue
            if anchor:
                if destination.is_dir() or destination.suffix != ".md":
                    problems.append(f"{where}: an anchor into a file that is not Markdown")
                    continue
                if destination not in cache:
                    cache[destination] = anchors(destination)
                if anchor not in cache[destination]:
                    problems.append(f"{where}: no heading with the anchor #{anchor}")
    return problems


def self_test() -> int:
    """A made-up tree: one good link of each kind, one link to a missing file,
    one anchor no heading has; links in code, comments, with a scheme and in
    an include line are not checked."""
    files = {
        "README.md": (
            "# Demo\n\nSee [the guide](docs/src/guide.md#the-worked-table) and [missing](docs/src/nowhere.md).\n"
            "A [web link](https://example.com/x.md) and `[code](nowhere.md)` are not checked.\n"
        ),
        "docs/src/guide.md": (
            "# Guide\n\n## The worked table\n\n## Reliability: `make soak`\n\n## Notes\n\n## Notes\n\n"
            "[up](#reliability-make-soak), [again](#notes-1), [self](guide.md#guide), [bad anchor](#the-worked-tabel).\n"
            "![a picture](../../README.md), [a link over\ntwo lines](#notes), `code over\ntwo lines [x](nowhere.md)`\n\n"
            "```sh\necho [not a link](nowhere.md)\n```\n"
            "<!-- [commented](nowhere.md) -->\n{{#include ../../results/none.md}}\n"
        ),
    }
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, text in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text, encoding="utf-8")
        problems = broken(documents(root), root)
    expected = [
        "README.md:3: docs/src/nowhere.md: no such file",
        "docs/src/guide.md:11: #the-worked-tabel: no heading with the anchor #the-worked-tabel",
    ]
    if problems != expected:
        print("check_doc_links self-test FAILED:", *problems, sep="\n  ", file=sys.stderr)
        return 1
    print("check_doc_links self-test: a broken file link and a broken anchor are found; good links, code and web links pass")
    return 0


def main() -> int:
    if "--self-test" in sys.argv:
        return self_test()
    paths = documents(ROOT)
    problems = broken(paths, ROOT)
    for problem in problems:
        print(f"check_doc_links: {problem}", file=sys.stderr)
    if not problems:
        total = sum(len(links(path.read_text(encoding="utf-8"))) for path in paths)
        print(f"check_doc_links: {len(paths)} documents, {total} links, none broken")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
