"""`kb producers ...` (being written)."""

import click


@click.group("producers")
def producers() -> None:
    """Project tools allowed to send events to POST /api/events."""
