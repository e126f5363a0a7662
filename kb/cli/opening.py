"""kb opened for one command."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from kb.config import Config
from kb.context import Kb
from kb.core.errors import KbError


@contextmanager
def opened() -> Iterator[Kb]:
    """kb opened from the environment's settings and closed after the command; a refusal
    (KbError) ends the command with its message and exit status 1."""
    kb = Kb.open(Config.from_env().finalise())
    try:
        yield kb
    except KbError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        kb.close()
