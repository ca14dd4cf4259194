"""The ``indspace`` command. ``indspace land …`` (a file tool that needs no store) starts
without loading the store-backed commands: about 0.3–0.5 s less start-up on every call,
which matters for a tool timed whole-process against single scripts (issue #13)."""

import sys


def main() -> None:
    if sys.argv[1:2] == ["land"]:
        from indspace.cli_land import standalone

        standalone(sys.argv[2:])
        return
    from indspace.cli import app

    app(prog_name="indspace")
