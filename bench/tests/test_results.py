"""bench/results.py: every result file says how its numbers were made — the
program, the date, the commit (marked ``-dirty`` when the tree had changes),
the machine — above the tables. Checked on a scratch git repository."""

from __future__ import annotations

import platform
import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import results
from results import commit, table, write_result

HEADER = re.compile(
    r"`(?P<program>[^`]+)`, (?P<date>\d{4}-\d{2}-\d{2}), commit (?P<commit>[0-9a-f]{7,}(-dirty)?|unknown), "
    r"(?P<machine>\S+) with (?P<cores>\d+) cores, Python (?P<python>\d+\.\d+\.\d+)(; (?P<settings>.*)|\.)"
)


def git(repo: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=Bench", "-c", "user.email=bench@example.com", "-c", "commit.gpgsign=false", *args]
    return subprocess.run(command, cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with one commit."""
    git(tmp_path, "init", "-q")
    (tmp_path / "README").write_text("scratch\n")
    git(tmp_path, "add", "README")
    git(tmp_path, "commit", "-q", "-m", "first")
    return tmp_path


def test_the_file_is_the_title_the_header_line_and_the_body(repo: Path) -> None:
    body = table(["clients", "orders/s"], [[1, "100"], [16, "900"]])
    path = write_result("example", "An example", body, program="bench/example.py", settings="3 rounds of 2 s.", root=repo)
    assert path == repo / "bench" / "results" / "example.md"
    title, blank, line, blank2, *rest = path.read_text().split("\n")
    assert (title, blank, blank2) == ("# An example", "", "")
    match = HEADER.fullmatch(line)
    assert match, line
    assert match["program"] == "bench/example.py"
    assert match["commit"] == git(repo, "rev-parse", "--short", "HEAD")
    assert match["machine"] == platform.machine()
    assert int(match["cores"]) >= 1
    assert match["python"] == platform.python_version()
    assert match["settings"] == "3 rounds of 2 s."
    assert "\n".join(rest) == "| clients | orders/s |\n|---|---:|\n| 1 | 100 |\n| 16 | 900 |\n"


def test_without_settings_the_line_ends_with_a_full_stop(repo: Path) -> None:
    line = write_result("plain", "Plain", "text", program="p.py", root=repo).read_text().split("\n")[2]
    match = HEADER.fullmatch(line)
    assert match and match["settings"] is None and line.endswith(".")


def test_a_changed_or_new_file_marks_the_commit_dirty(repo: Path) -> None:
    sha = git(repo, "rev-parse", "--short", "HEAD")
    assert commit(repo) == sha
    (repo / "README").write_text("changed\n")
    assert commit(repo) == f"{sha}-dirty"
    git(repo, "checkout", "-q", "README")
    (repo / "new.py").write_text("")
    assert commit(repo) == f"{sha}-dirty"
    line = write_result("dirty", "Dirty", "", program="p.py", root=repo).read_text().split("\n")[2]
    match = HEADER.fullmatch(line)
    assert match and match["commit"] == f"{sha}-dirty"


def test_results_themselves_do_not_make_the_tree_dirty(repo: Path) -> None:
    write_result("first", "First", "1", program="p.py", root=repo)
    git(repo, "add", "bench")
    git(repo, "commit", "-q", "-m", "a result")
    sha = git(repo, "rev-parse", "--short", "HEAD")
    write_result("first", "First", "2", program="p.py", root=repo)  # a changed result
    write_result("second", "Second", "3", program="p.py", root=repo)  # a new one
    assert commit(repo) == sha


def test_outside_git_the_commit_is_unknown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    monkeypatch.setattr(results, "ROOT", tmp_path)  # the default root
    path = write_result("nowhere", "Nowhere", "x", program="p.py")
    assert path == tmp_path / "bench" / "results" / "nowhere.md"
    match = HEADER.fullmatch(path.read_text().split("\n")[2])
    assert match and match["commit"] == "unknown"
