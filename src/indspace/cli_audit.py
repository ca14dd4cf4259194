"""审计命令 / audit commands: verify the hash chain of the audit log."""

from typing import Annotated, Any

import typer
from rich.console import Console

from indspace.core.errors import IndspaceError


def register(group: typer.Typer, db_opt: Any, default_db: str, fail: Any, console: Console) -> None:
    @group.command("verify")
    def verify(
        db: db_opt = default_db,
        json_out: Annotated[bool, typer.Option("--json", help="JSON 输出 / JSON output")] = False,
    ) -> None:
        """校验审计日志哈希链：删除或修改过的条目会被发现（退出码 1）/ verify the audit
        log's hash chain: a removed or edited entry is found (exit code 1)."""
        from indspace.services.audit import verify_chain
        from indspace.store import Store

        try:
            report = verify_chain(Store.open(db))
        except IndspaceError as e:
            fail(e)
        if json_out:
            import json

            typer.echo(json.dumps(report, ensure_ascii=False))
        else:
            console.print(f"{report['message_zh']}\n{report['message_en']}")
        if not report["ok"]:
            raise typer.Exit(1)
