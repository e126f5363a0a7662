"""`kb producers ...`: the project tools allowed to send events to POST /api/events."""

from __future__ import annotations

from datetime import datetime

import click

from kb.cli.opening import opened
from kb.events.inbound import producers as service


def _show(creds: service.Credentials, verb: str) -> None:
    click.echo(f"Producer {creds.name!r} {verb}. Shown once; store them now:")
    click.echo(f"  signing secret: {creds.secret}")
    click.echo(f"  bearer token:   {creds.token}")
    click.echo("Sign requests with the secret (Standard Webhooks) or send the token as")
    click.echo("`Authorization: Bearer <token>`.")


def _when(value: datetime | None) -> str:
    value = service.as_utc(value)
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "never"


@click.group("producers")
def producers() -> None:
    """Project tools allowed to send events to POST /api/events."""


@producers.command("add")
@click.argument("name")
def add_command(name: str) -> None:
    """Register a producer; print its signing secret and bearer token once."""
    with opened() as kb:
        creds = service.create_producer(kb.db, name)
    _show(creds, "added")


@producers.command("list")
def list_command() -> None:
    """Name, state, creation and last use of every producer (never their secrets)."""
    with opened() as kb:
        rows = service.list_producers(kb.db)
    if not rows:
        click.echo("No producers yet: `kb producers add NAME` registers one.")
        return
    width = max(4, *(len(p.name) for p in rows))
    click.echo(f"{'NAME':<{width}}  {'ACTIVE':<6}  {'CREATED':<20}  LAST USED")
    for p in rows:
        active = "yes" if p.is_active else "no"
        click.echo(
            f"{p.name:<{width}}  {active:<6}  {_when(p.created_at):<20}  {_when(p.last_used_at)}"
        )


@producers.command("disable")
@click.argument("name")
def disable_command(name: str) -> None:
    """Refuse the producer's events from now on (its history stays)."""
    _set_active(name, False)
    click.echo(f"Producer {name!r} disabled.")


@producers.command("enable")
@click.argument("name")
def enable_command(name: str) -> None:
    """Accept a disabled producer's events again."""
    _set_active(name, True)
    click.echo(f"Producer {name!r} enabled.")


@producers.command("rotate")
@click.argument("name")
def rotate_command(name: str) -> None:
    """Give the producer a new secret and token; the old ones stop working at once."""
    with opened() as kb:
        creds = service.rotate_producer(kb.db, name)
    _show(creds, "rotated")


def _set_active(name: str, active: bool) -> None:
    with opened() as kb:
        service.set_producer_active(kb.db, name, active)
