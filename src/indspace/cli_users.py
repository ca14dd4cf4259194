"""账户命令 / account commands: create platform accounts and list them."""

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from indspace.core.access import ROLE_LABELS, Principal
from indspace.core.errors import IndspaceError


def register(group: typer.Typer, db_opt: Any, default_db: str, fail: Any,
             console: Console) -> None:
    @group.command("add")
    def add(
        username: Annotated[str, typer.Argument(help="用户名 / username")],
        role: Annotated[str, typer.Option(
            "--role", help="角色 / role: " + ", ".join(ROLE_LABELS))],
        district: Annotated[str | None, typer.Option(
            "--district", help="区县代码（区县工作人员）/ district code (district officer)")
        ] = None,
        credit_code: Annotated[str | None, typer.Option(
            "--credit-code", help="统一社会信用代码（企业用户）/ credit code (enterprise user)")
        ] = None,
        display_name: Annotated[str | None, typer.Option(
            "--name", help="显示名称 / display name")] = None,
        password: Annotated[str, typer.Option(
            prompt="密码 / password", hide_input=True, confirmation_prompt=True,
            envvar="INDSPACE_NEW_PASSWORD",
            help="至少 8 位；不填则提示输入 / at least 8 characters; prompted when omitted")
        ] = "",
        db: db_opt = default_db,
    ) -> None:
        """新建账户（密码以 argon2 哈希保存）/ create an account (argon2-hashed password)."""
        from indspace.services.accounts import create_user
        from indspace.store import Store

        try:
            user = create_user(Store.open(db), username, password, role, district=district,
                               credit_code=credit_code, display_name=display_name,
                               actor=Principal.system().username)
        except IndspaceError as e:
            fail(e)
        console.print(f"已创建 / created [bold]{user['username']}[/] ({user['role']})")

    @group.command("list")
    def list_(db: db_opt = default_db) -> None:
        """列出账户 / list accounts."""
        from indspace.services.accounts import list_users
        from indspace.store import Store

        try:
            rows = list_users(Principal.system(), Store.open(db))
        except IndspaceError as e:
            fail(e)
        table = Table()
        for col in ("用户名 / user", "角色 / role", "区县 / district",
                    "信用代码 / credit code", "名称 / name"):
            table.add_column(col)
        for r in rows:
            table.add_row(r["username"], r["role"], r["district"] or "",
                          r["credit_code"] or "", r["display_name"])
        console.print(table)
