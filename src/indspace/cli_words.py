"""The command line's own words in Chinese and English: the ``--help`` option, the help
panels' titles and labels, and the usage errors typer raises before a command runs
(a missing or misspelt option, a value of the wrong type, an unknown command).

Every group and command of ``indspace`` is made by :class:`App` (a ``typer.Typer`` whose
groups are :class:`BilingualGroup` and whose commands are :class:`BilingualCommand`);
:func:`install` sets typer's help labels when a help page or an error is about to be drawn
— not at start-up: ``typer.rich_utils`` (with rich's Markdown) costs ≈ 35 ms to import,
which a command that succeeds never pays. Typer writes these words in
English only: its help option says "Show this message and exit." and a usage error says
"Missing option '--year'." — a user who reads Chinese would see English exactly where the
command line tells them what went wrong.

Imported only where typer already is (the commands; ``indspace land far``'s quick path
parses without typer and never imports this module).
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

HELP_OPTION = "显示本帮助并退出 / show this help and exit"

LABELS = {
    "ARGUMENTS_PANEL_TITLE": "参数 / Arguments",
    "OPTIONS_PANEL_TITLE": "选项 / Options",
    "COMMANDS_PANEL_TITLE": "命令 / Commands",
    "ERRORS_PANEL_TITLE": "错误 / Error",
    "DEFAULT_STRING": "[默认 / default: {}]",
    "ENVVAR_STRING": "[环境变量 / env var: {}]",
    "REQUIRED_LONG_STRING": "[必填 / required]",
    "ABORTED_TEXT": "已中止 / Aborted.",
    "RICH_HELP": "查看帮助 / for help: [blue]'{command_path} {help_option}'[/]",
}
"""typer's help and error labels (module constants of ``typer.rich_utils``, read when a
help page or an error is drawn), Chinese first."""

USAGE_ZH = {
    "MissingParameter": "缺少必填选项",
    "NoSuchOption": "没有这个选项",
    "BadOptionUsage": "选项用法不对",
    "BadArgumentUsage": "参数用法不对",
    "BadParameter": "取值不合法",
}
"""The Chinese lead of a usage error, by its class (the most specific class first in the
exception's MRO wins); any other usage error says :data:`USAGE_ZH_OTHER`."""
USAGE_ZH_OTHER = "命令行用法不对"
USAGE_ZH_NO_COMMAND = "没有这个命令"
USAGE_ZH_MISSING_ARGUMENT = "缺少必填参数"


def install() -> None:
    """Set typer's help and error labels to :data:`LABELS` (idempotent)."""
    import typer.rich_utils as rich_utils

    for name, text in LABELS.items():
        setattr(rich_utils, name, text)


def usage_zh(error: BaseException) -> str:
    """The Chinese lead for a usage error, naming the option or command it is about."""
    names = [c.__name__ for c in type(error).__mro__]
    lead = next((USAGE_ZH[n] for n in names if n in USAGE_ZH), USAGE_ZH_OTHER)
    message = str(getattr(error, "message", "") or "")
    param = getattr(error, "param", None)
    if lead == USAGE_ZH_OTHER and message.startswith("No such command"):
        lead = USAGE_ZH_NO_COMMAND
    elif (
        lead == USAGE_ZH["MissingParameter"]
        and getattr(param, "param_type_name", None) == "argument"
    ):
        lead = USAGE_ZH_MISSING_ARGUMENT
    opts = [o for o in getattr(param, "opts", []) if o.startswith("-")]
    what = getattr(error, "option_name", None) or (
        "/".join(opts) if opts else getattr(param, "name", None)
    )
    return f"{lead} {what}" if what else lead


def _bilingual(error: Exception) -> None:
    """Lead the error's message with its Chinese (once, however many groups it passes)."""
    if "UsageError" not in {c.__name__ for c in type(error).__mro__}:
        return
    install()  # the error is drawn next, with typer's labels
    if type(error).__name__ == "NoArgsIsHelpError" or getattr(error, "_indspace_zh", False):
        return
    english = error.format_message  # type: ignore[attr-defined]
    zh = usage_zh(error)
    error.format_message = lambda: f"{zh} / {english()}"  # type: ignore[attr-defined]
    error._indspace_zh = True  # type: ignore[attr-defined]


class _BilingualHelp:
    """The ``--help`` option and help page in Chinese and English (mixed into typer's
    command and group classes, before them)."""

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = HELP_OPTION
        return option

    def format_help(self, ctx: Any, formatter: Any) -> None:
        install()
        super().format_help(ctx, formatter)  # type: ignore[misc]


class BilingualCommand(_BilingualHelp, TyperCommand):
    """A command whose ``--help`` option and help page are in Chinese and English."""


class BilingualGroup(_BilingualHelp, TyperGroup):
    """A group whose ``--help`` is bilingual and whose usage errors (its own, or those of
    the commands it parses and runs) lead with Chinese."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except typer.TyperException as e:
            _bilingual(e)
            raise

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except typer.TyperException as e:
            _bilingual(e)
            raise
        except (KeyboardInterrupt, EOFError):  # typer answers "Aborted." with the labels
            install()
            raise


class App(typer.Typer):
    """``typer.Typer`` with :class:`BilingualGroup` groups and :class:`BilingualCommand`
    commands (unless a caller names its own class)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("cls", BilingualGroup)
        super().__init__(**kwargs)

    def command(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("cls", BilingualCommand)
        return super().command(*args, **kwargs)
