"""Shared pieces of the command line: turning errors into messages and exit codes."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click

from ..foundation.errors import WorkbenchError

EXIT_USAGE = 2


def friendly_errors(func: Callable) -> Callable:
    """Turn WorkbenchError into a two-language message and exit code 2."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except WorkbenchError as err:
            click.echo(f"Error: {err.en}", err=True)
            if err.zh != err.en:
                click.echo(f"错误：{err.zh}", err=True)
            sys.exit(EXIT_USAGE)

    return wrapper
