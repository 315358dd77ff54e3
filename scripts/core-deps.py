#!/usr/bin/env python3
"""Checks that core's areas import each other without a cycle.

An area is a top-level module of ``core/src`` (``foo.rs`` or ``foo/``). Every
``crate::…`` path in an area's non-test code is an edge to the area that
defines it; a name used through the crate root (``crate::quote``) counts for
the area ``lib.rs`` re-exports it from. Test code (from a ``#[cfg(test)]``
line to the end of its file, and files named ``tests.rs``) is not counted:
tests may reach across areas.

    python3 scripts/core-deps.py              # fails (exit 1) naming each cycle
    python3 scripts/core-deps.py --graph      # prints each area's dependencies
    python3 scripts/core-deps.py --self-test  # shows on a made-up crate that it finds a cycle
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "core" / "src"
PATH = re.compile(r"\bcrate::((?:[A-Za-z_][A-Za-z0-9_]*::)*)\{?([A-Za-z_][A-Za-z0-9_]*)?")
GROUP = re.compile(r"\bcrate::\{([^;]*?)\}", re.S)
REEXPORT = re.compile(r"^pub use ([a-z_]+)(?:::[a-z_]+)*::\{?([^;]*?)\}?;", re.S | re.M)


def library_code(text: str) -> str:
    """``text`` without its test code and comments."""
    cut = text.find("#[cfg(test)]")
    if cut >= 0:
        text = text[:cut]
    return re.sub(r"//[^\n]*", "", text)


def area_of(path: Path, src: Path) -> str:
    first = path.relative_to(src).parts[0]
    return first.removesuffix(".rs")


def root_names(lib: str) -> dict[str, str]:
    """Each name re-exported at the crate root → the area it comes from."""
    names: dict[str, str] = {}
    for match in REEXPORT.finditer(lib):
        for name in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", match.group(2)):
            names.setdefault(name, match.group(1))
    return names


def dependencies(src: Path = SRC) -> dict[str, set[str]]:
    lib = (src / "lib.rs").read_text()
    areas = {area_of(p, src) for p in src.rglob("*.rs")} - {"lib"}
    roots = root_names(lib)
    graph: dict[str, set[str]] = {area: set() for area in areas}
    for path in src.rglob("*.rs"):
        area = area_of(path, src)
        if area == "lib" or path.name == "tests.rs":
            continue
        code = library_code(path.read_text())
        targets: list[str] = []
        for group in GROUP.finditer(code):
            for item in re.split(r",(?![^{]*\})", group.group(1)):
                item = item.strip()
                if item:
                    targets.append(item.split("::")[0].strip())
        for match in PATH.finditer(code):
            head = match.group(1)
            targets.append(head.split("::")[0] if head else (match.group(2) or ""))
        for target in targets:
            target = target.strip("{ ")
            if target in areas:
                dep = target
            elif target in roots:
                dep = roots[target]
            else:
                continue
            if dep != area:
                graph[area].add(dep)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one area (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for dep in sorted(graph[node]):
            if dep not in index:
                visit(dep)
                low[node] = min(low[node], low[dep])
            elif dep in stack:
                low[node] = min(low[node], index[dep])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def self_test() -> int:
    """A made-up crate: `a` uses `b` by path, `b` uses `a` through a root
    re-export, `c` uses `a` only in its tests. One cycle, a ↔ b."""
    files = {
        "lib.rs": "mod a;\nmod b;\nmod c;\npub use a::{Alpha, make_alpha};\n",
        "a/mod.rs": "use crate::b::Beta;\npub struct Alpha(Beta);\npub fn make_alpha() {}\n",
        "b.rs": "// crate::c is only named in a comment\npub struct Beta;\nfn f() { crate::make_alpha() }\n",
        "c.rs": "pub struct Gamma;\n#[cfg(test)]\nmod tests { use crate::a::Alpha; }\n",
    }
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, text in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)
        graph = dependencies(root)
    expected = {"a": {"b"}, "b": {"a"}, "c": set()}
    if graph != expected or cycles(graph) != [["a", "b"]]:
        print(f"core-deps self-test FAILED: {graph} {cycles(graph)}", file=sys.stderr)
        return 1
    print("core-deps self-test: the cycle a <-> b is found, comments and tests are not counted")
    return 0


def main() -> int:
    if "--self-test" in sys.argv:
        return self_test()
    graph = dependencies()
    if "--graph" in sys.argv:
        for area in sorted(graph):
            print(f"{area}: {', '.join(sorted(graph[area]))}")
    found = cycles(graph)
    for component in found:
        edges = [f"{a} -> {b}" for a in component for b in sorted(graph[a]) if b in component]
        print(f"core-deps: areas in a cycle: {', '.join(component)} ({'; '.join(edges)})", file=sys.stderr)
    if not found:
        print(f"core-deps: {len(graph)} areas, no cycle")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
