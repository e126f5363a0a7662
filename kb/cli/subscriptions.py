"""`kb subscriptions ...`: outbound webhooks from the command line."""

from __future__ import annotations

import click

from kb.cli.opening import opened
from kb.events.webhooks import subscriptions as subs


@click.group("subscriptions")
def subscriptions() -> None:
    """Outbound webhooks: URLs that receive kb's events, signed (Standard Webhooks)."""


@subscriptions.command("add")
@click.argument("name")
@click.argument("url")
@click.option(
    "--type",
    "types",
    multiple=True,
    metavar="PATTERN",
    help="Event type pattern, e.g. 'org.pmo.kb.lesson.*' (repeat; none: every kb event).",
)
def add_command(name: str, url: str, types: tuple[str, ...]) -> None:
    """Subscribe URL to kb's events; prints the signing secret, once."""
    with opened() as kb:
        sub, secret = subs.create_subscription(kb.db, name=name, url=url, types=list(types))
    click.echo(f"Subscription {sub.id} ({sub.name}) -> {sub.url}")
    click.echo(f"Events: {', '.join(sub.types) if sub.types else 'every kb event'}")
    click.echo("Signing secret (shown once; store it in the receiving system):")
    click.echo(secret)


@subscriptions.command("list")
def list_command() -> None:
    """Every subscription with its state and latest delivery."""
    with opened() as kb:
        found = subs.list_subscriptions(kb.db)
        last = subs.last_deliveries(kb.db)
    if not found:
        click.echo("No subscriptions.")
        return
    for sub in found:
        state = "active" if sub.is_active else f"disabled ({sub.disabled_reason or 'by hand'})"
        d = last.get(sub.id)
        latest = (
            f"last {d.status_code or 'no answer'} at {d.attempted_at:%Y-%m-%d %H:%M:%S} UTC"
            if d
            else "no delivery yet"
        )
        types = ", ".join(sub.types) if sub.types else "every kb event"
        click.echo(f"{sub.id}\t{sub.name}\t{sub.url}\t{types}\t{state}\t{latest}")


@subscriptions.command("disable")
@click.argument("subscription_id", type=int)
def disable_command(subscription_id: int) -> None:
    """Stop delivering to a subscription (events in between are not delivered later)."""
    with opened() as kb:
        sub = subs.deactivate_subscription(kb.db, subscription_id)
    click.echo(f"Subscription {sub.id} ({sub.name}) disabled.")
