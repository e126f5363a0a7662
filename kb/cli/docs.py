"""`kb docs events`: write the outbound part of docs/events.md from the event classes."""

from __future__ import annotations

from pathlib import Path

import click

from kb.events.kinds import catalogue


@click.group()
def docs() -> None:
    """Documentation generated from the code."""


@docs.command("events")
@click.option(
    "--file",
    "path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("docs/events.md"),
    show_default=True,
    help="The events document; its part between the generated markers is rewritten.",
)
@click.option("--check", is_flag=True, help="Change nothing; fail when the file is out of date.")
def events_docs(path: Path, check: bool) -> None:
    """Write kb's own event types (fields, example, JSON Schema) into the events document."""
    try:
        text = path.read_text(encoding="utf-8")
        new = catalogue.updated(text)
    except FileNotFoundError as e:
        raise click.ClickException(f"{path} does not exist (run this in the repository).") from e
    except ValueError as e:
        raise click.ClickException(f"{path} has no generated part: {e}") from e
    if new == text:
        click.echo(f"{path} is up to date.")
    elif check:
        raise click.ClickException(f"{path} is out of date: run `kb docs events`.")
    else:
        path.write_text(new, encoding="utf-8")
        click.echo(f"{path} written.")
