"""Grade classes are profile data (issue #14, item 4): no engine names a grade letter.

The classes of a method — their codes best → worst, labels, which count as good, which an
ungraded firm follows — are the profile's ``grading.scale``; engines read them from the
method or take them as parameters. The scan reads every module of ``core/engines`` (and the
services and reports that call them) with :mod:`ast` and looks at literal strings in code —
docstrings are prose and are skipped, comments are not in the tree. A literal that is only
grade letters (``"A"``, ``"D"``, ``"AB"``, ``"ABCD"``) is a grade letter written in code.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import indspace

SRC = Path(indspace.__file__).parent
SCANNED = ("core/engines", "services", "reports")
"""Packages (relative to src/indspace) whose modules may not name a grade letter."""

LETTERS = re.compile(r"^[ABCD]+$")
"""A string made only of the Zhejiang letters: one class ("D") or several ("AB", "ABCD")."""


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of string constants that are docstrings or bare string statements."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    }


NUMPY_TIME = {"datetime64", "timedelta64"}
"""``np.timedelta64(1, "D")``: "D" is numpy's day unit there, not a grade."""


def _time_units(tree: ast.AST) -> set[int]:
    """ids of string constants passed to numpy's datetime64/timedelta64 (time units)."""
    return {
        id(arg)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute | ast.Name)
        and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
        in NUMPY_TIME
        for arg in node.args
        if isinstance(arg, ast.Constant)
    }


def grade_letters_in(source: str, filename: str = "<src>") -> list[tuple[int, str]]:
    """(line, literal) for every grade-letter literal in the code of ``source``."""
    tree = ast.parse(source, filename)
    skip = _docstrings(tree) | _time_units(tree)
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and id(node) not in skip
        and isinstance(node.value, str)
        and LETTERS.match(node.value)
    ]


def _modules() -> list[Path]:
    return sorted(p for pkg in SCANNED for p in (SRC / pkg).rglob("*.py"))


def test_the_scan_reads_the_engines() -> None:
    names = {p.relative_to(SRC).as_posix() for p in _modules()}
    assert {
        "core/engines/mujun.py",
        "core/engines/dual.py",
        "core/engines/explain.py",
        "core/engines/units.py",
        "core/engines/zones.py",
        "core/engines/redevelop.py",
    } <= names


def test_no_engine_names_a_grade_letter() -> None:
    found = [
        f"src/indspace/{p.relative_to(SRC).as_posix()}:{line}: {value!r}"
        for p in _modules()
        for line, value in grade_letters_in(p.read_text(encoding="utf-8"), p.name)
    ]
    assert not found, (
        "take the classes from the method's grading.scale (codes, good, worst, "
        "ungraded_as):\n" + "\n".join(found)
    )


@pytest.mark.parametrize(
    ("code", "hits"),
    [
        ('grade[vetoed] = "D"', [(1, "D")]),
        ('good = m["grade"].isin(["A", "B"])', [(1, "A"), (1, "B")]),
        ('for x in "ABCD":\n    pass', [(1, "ABCD")]),
        ('policy = grade.where(ok, "B")', [(1, "B")]),
    ],
)
def test_the_scan_finds_a_planted_letter(code: str, hits: list[tuple[int, str]]) -> None:
    assert grade_letters_in(code) == hits


def test_the_scan_ignores_prose_and_other_strings() -> None:
    code = (
        '"""Grades A, B, C and D; "D" firms."""\n'
        "def f() -> str:\n    '''Returns \"A\".'''\n"
        '    return "ABC1" + "Ab" + "D类企业占用" + "class D"\n'
    )
    assert grade_letters_in(code) == []


def test_numpy_day_units_are_not_grades() -> None:
    """``np.timedelta64(1, "D")`` names numpy's day unit; a "D" beside it is still caught."""
    code = 'a = np.timedelta64(1, "D") + datetime64(x, "D")\ng = np.where(m, "D", g)\n'
    assert grade_letters_in(code) == [(2, "D")]
