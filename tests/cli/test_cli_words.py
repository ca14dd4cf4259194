"""The command line speaks Chinese first with English beside it: every option's and
argument's help text, the ``--help`` option itself, the help panels, and the usage errors
typer raises before a command runs (missing, misspelt or mistyped options, unknown
commands)."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
import typer.main

from indspace.cli import app
from indspace.cli_words import HELP_OPTION, usage_zh

from .conftest import INDSPACE

CJK = re.compile(r"[\u4e00-\u9fff]")


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    yield " ".join(("indspace", *path)), command
    for name, sub in (getattr(command, "commands", None) or {}).items():
        yield from _commands(sub, (*path, name))


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The real command line, wide enough that no message is wrapped."""
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [*INDSPACE, *args], capture_output=True, text=True, check=False, timeout=120, env=env
    )


def test_every_help_text_is_chinese_and_english() -> None:
    """Each command, option and argument explains itself in Chinese, then English after a
    slash (a scan, so that a new option cannot come in English only)."""
    root = typer.main.get_command(app)
    english_only = []
    commands = list(_commands(root))
    assert len(commands) > 40
    for where, command in commands:
        texts = [("", command.help or "")] + [
            (f" {'/'.join(p.opts)}", getattr(p, "help", None) or "") for p in command.params
        ]
        for what, text in texts:
            if not (
                CJK.search(text) and re.search(r"/\s", text) and re.search("[A-Za-z]{3}", text)
            ):
                english_only.append(f"{where}{what}: {text!r}")
    assert english_only == []


def test_the_help_page_is_bilingual() -> None:
    out = _cli("evaluate", "--help").stdout
    assert HELP_OPTION in out and "Show this message" not in out
    assert "选项 / Options" in out and "[必填 / required]" in out
    assert "[默认 / default: ningbo-demo]" in out


@pytest.mark.parametrize(
    ("args", "zh", "en"),
    [
        (["evaluate"], "缺少必填选项 --year", "Missing option '--year'"),
        (["evaluate", "--year", "abc"], "取值不合法 --year", "Invalid value for '--year'"),
        (
            ["evaluate", "--year", "2025", "--bogus"],
            "没有这个选项 --bogus",
            "No such option: --bogus",
        ),
        (["evaluat"], "没有这个命令", "No such command 'evaluat'"),
        (["lowuse", "plann"], "没有这个命令", "No such command 'plann'"),
        (["import", "parcels"], "缺少必填参数 file", "Missing argument"),
        # the light path of `indspace land …` hands a call it cannot parse to typer
        (
            ["land", "far", "--parcels", "a.gpkg"],
            "缺少必填选项 --buildings",
            "Missing option '--buildings'",
        ),
    ],
)
def test_usage_errors_lead_with_chinese(args: list[str], zh: str, en: str) -> None:
    done = _cli(*args)
    assert done.returncode == 2
    assert f"{zh} / " in done.stderr and en in done.stderr
    assert "错误 / Error" in done.stderr and "查看帮助 / for help" in done.stderr


def test_usage_zh_without_a_parameter() -> None:
    """An error of a kind not in the table still gets a Chinese lead."""

    class UsageError(Exception):
        message = "Got unexpected extra argument(s) (x)"

    assert usage_zh(UsageError()) == "命令行用法不对"
