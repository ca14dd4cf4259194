"""The ``indspace`` command. ``indspace land …`` (a file tool that needs no store) starts
without loading the store-backed commands: about 0.3–0.5 s less start-up on every call,
which matters for a tool timed whole-process against single scripts (issue #13)."""

import gc
import sys

BATCH_GC_THRESHOLD = (200_000, 50, 50)
"""The cyclic garbage collector's thresholds for a command (every command but ``serve``):
a command is one short batch that creates millions of container objects (rows read from
the store, frames), which the default thresholds (700, 10, 10) scan over and over — on the
city's annual run ≈ 0.25 s of ``evaluate`` and ≈ 0.4 s of ``lowuse plan`` (CPU, measured
with ``gc.callbacks``), ≈ 0.08 s with these thresholds and the start-up objects frozen, for
the same peak memory (504 / 567 MiB). Reference cycles are still collected, only less
often; ``serve`` (a long-running process) keeps Python's defaults."""


def main() -> None:
    if sys.argv[1:2] == ["land"]:
        from indspace.cli_land import standalone

        standalone(sys.argv[2:])
        return
    batch = sys.argv[1:2] != ["serve"]
    if batch:
        gc.set_threshold(*BATCH_GC_THRESHOLD)
    from indspace.cli import app

    if batch:
        gc.freeze()  # the modules and objects of start-up live as long as the process
    app(prog_name="indspace")
