"""What every command shares: the error console and the one way errors leave the CLI."""

import json
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from indspace.core.errors import IndspaceError

console = Console(stderr=True)


def fail(err: IndspaceError, as_json: bool = False) -> NoReturn:
    """Print the bilingual error (JSON on stdout with ``--json``) and exit with status 2."""
    if as_json:
        print(json.dumps(err.to_dict(), ensure_ascii=False))
    else:
        console.print(
            f"[bold red]错误 / Error:[/] {escape(str(err))}", soft_wrap=True, highlight=False
        )
    raise typer.Exit(2)
