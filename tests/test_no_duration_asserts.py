"""No test asserts on wall-clock time (issue #15 item 8): a busy CI machine made
a two-second bound on ``elapsed`` fail on a clean clone. Timings belong in benchmarks/.

The check reads every test module's syntax tree and flags an ``assert`` whose condition
compares a clock reading (``time.time()``, ``perf_counter()``, ``monotonic()``,
``process_time()`` and their ``_ns`` forms) or a variable assigned from one (``t0``,
``elapsed = perf_counter() - t0``) — directly or through arithmetic. A wait bound is not a
measurement: comparing against a name that starts with ``deadline`` (how long a test waits
for a subprocess to come up before it gives up) is allowed.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent
CLOCKS = {
    "time",
    "perf_counter",
    "monotonic",
    "process_time",
    "time_ns",
    "perf_counter_ns",
    "monotonic_ns",
    "process_time_ns",
}


def _is_clock_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    f = node.func
    if isinstance(f, ast.Attribute):
        return f.attr in CLOCKS and isinstance(f.value, ast.Name) and f.value.id == "time"
    return isinstance(f, ast.Name) and f.id in CLOCKS - {"time"}


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _uses_clock(node: ast.AST, timed: set[str]) -> bool:
    return any(_is_clock_call(n) for n in ast.walk(node)) or bool(_names(node) & timed)


def duration_asserts(source: str) -> list[int]:
    """Line numbers of asserts on wall-clock durations in ``source``."""
    tree = ast.parse(source)
    timed: set[str] = set()
    changed = True
    while changed:  # names assigned from clock readings, transitively (t0 → elapsed)
        changed = False
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign) and node.value:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if _uses_clock(node.value, timed):
                    for t in targets:
                        new = _names(t) - timed
                        if new and not any(n.startswith("deadline") for n in new):
                            timed |= new
                            changed = True
    bad = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assert):
            continue
        for cmp in (n for n in ast.walk(node.test) if isinstance(n, ast.Compare)):
            sides = [cmp.left, *cmp.comparators]
            if any(isinstance(s, ast.Name) and s.id.startswith("deadline") for s in sides):
                continue
            if any(_uses_clock(s, timed) for s in sides):
                bad.append(node.lineno)
                break
    return bad


def test_the_scanner_catches_duration_asserts() -> None:
    src = (
        "import time\nfrom time import perf_counter\n"
        "t0 = time.perf_counter()\nrun()\nelapsed = time.perf_counter() - t0\n"
        "assert ela" "psed < 2.0\n"  # line 6 (names split so text greps skip this file)
        "assert time.perf_counter() - t0 >= 0.5\n"  # line 7
        "start = perf_counter()\nassert perf_" "counter() - start < 1\n"  # line 9
        "assert len(rows) == 3\n"
        "deadline = time.monotonic() + 30\nassert time.monotonic() < deadline\n"
    )
    assert duration_asserts(src) == [6, 7, 9]


def test_no_test_asserts_on_wall_clock_time() -> None:
    found = []
    for path in sorted(TESTS.rglob("*.py")):
        if path == Path(__file__):
            continue
        for line in duration_asserts(path.read_text(encoding="utf-8")):
            found.append(f"{path.relative_to(TESTS.parent)}:{line}")
    assert not found, (
        "timing asserts fail on a busy machine; move the timing to "
        "benchmarks/ and keep the functional checks: " + ", ".join(found)
    )
