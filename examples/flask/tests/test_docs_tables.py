"""The book's tables that the services are the source of, generated here and
compared with the chapters: the route list (from ``openapi.yaml``), the
configuration table (from :class:`Settings`); and the hand-written table of
the HTTP status of each error category is checked against
``http.CATEGORY_STATUS``. A route, variable or status the book does not show
fails this test.

``SHOPCORE_UPDATE_DOCS=1 pytest examples/flask/tests/test_docs_tables.py``
writes the tables into the chapters instead. (The access and error-code tables
come from the Rust core: ``cargo test -p shopcore-docs --test book_tables``.)
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

import shopcore
from shopcore_services.http import CATEGORY_STATUS, OPENAPI_YAML
from shopcore_services.settings import Settings

BOOK = Path(__file__).resolve().parents[3] / "docs" / "src"
METHODS = ("get", "post", "put", "patch", "delete")
END = "<!-- end generated -->"


def sync(path: Path, name: str, table: str) -> None:
    """Checks (or, with ``SHOPCORE_UPDATE_DOCS=1``, writes) the block between
    ``<!-- generated: name -->`` and ``<!-- end generated -->`` of ``path``."""
    text = path.read_text(encoding="utf-8")
    start = f"<!-- generated: {name} -->\n"
    assert start in text, f"{path} has no {start.strip()} marker"
    begin = text.index(start) + len(start)
    end = text.index(END, begin)
    if text[begin:end] == table:
        return
    if os.environ.get("SHOPCORE_UPDATE_DOCS"):
        path.write_text(text[:begin] + table + text[end:], encoding="utf-8")
        return
    raise AssertionError(
        f"the {name!r} table of {path} is not what the code says; run SHOPCORE_UPDATE_DOCS=1 pytest {__file__}\n"
        f"--- in the book ---\n{text[begin:end]}\n--- from the code ---\n{table}"
    )


def routes_table(document: dict[str, Any]) -> str:
    """Every operation of the OpenAPI document: method, path, the service(s)
    serving it with their ports, when it needs a token, and its summary."""
    services = {s["url"]: f"{s['description']} ({s['url'].rsplit(':', 1)[1]})" for s in document["servers"]}
    rows = ["| method | path | service | token | what |", "|---|---|---|---|---|"]
    for path, item in document["paths"].items():
        served = ", ".join(services[s["url"]] for s in item["servers"]) if "servers" in item else "every service"
        for method in METHODS:
            if method not in item:
                continue
            operation = item[method]
            security = operation.get("security", document.get("security", []))
            # [{bearer}]: a token in both access modes; [{bearer}, {}]: in the
            # enforced mode only (legacy mode keeps the original open contract).
            token = "both modes" if security and all(security) else ("enforced mode" if security else "no")
            summary = " ".join(str(operation.get("summary", "")).split()).replace("|", "\\|")
            rows.append(f"| {method.upper()} | `{path}` | {served} | {token} | {summary} |")
    return "\n".join(rows) + "\n"


def test_the_route_list_is_the_openapi_document() -> None:
    document = yaml.safe_load(OPENAPI_YAML.read_text(encoding="utf-8"))
    table = routes_table(document)
    assert table.count("\n") - 2 >= 40, "fewer operations than the services serve"
    sync(BOOK / "http-reference.md", "routes", table)


def test_the_configuration_table_is_the_settings_object() -> None:
    sync(BOOK / "configuration.md", "settings", Settings.markdown_table())


def test_the_category_table_is_the_http_mapping() -> None:
    """The hand-written table of errors.md (category, HTTP status, Python
    exception) names every category with the status the services answer."""
    rows = re.findall(r"^\| `([a-z_]+)` \| (\d{3}) \|", (BOOK / "errors.md").read_text(encoding="utf-8"), re.MULTILINE)
    assert {category: int(status) for category, status in rows} == CATEGORY_STATUS
    assert {category for category, _ in rows} == {category for _, category in shopcore.ERROR_CODES}


def test_a_table_that_drifted_is_reported_not_accepted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHOPCORE_UPDATE_DOCS", raising=False)
    chapter = tmp_path / "chapter.md"
    chapter.write_text(f"intro\n<!-- generated: t -->\n| old |\n{END}\nend\n", encoding="utf-8")
    sync(chapter, "t", "| old |\n")
    with pytest.raises(AssertionError, match="not what the code says"):
        sync(chapter, "t", "| new |\n")
    monkeypatch.setenv("SHOPCORE_UPDATE_DOCS", "1")
    sync(chapter, "t", "| new |\n")
    assert chapter.read_text(encoding="utf-8") == f"intro\n<!-- generated: t -->\n| new |\n{END}\nend\n"
