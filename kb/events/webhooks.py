"""Outbound webhooks (being written)."""

from __future__ import annotations


def register(registry, config) -> None:  # noqa: ANN001
    """Add the webhook delivery handler and the subscription fan-out to the registry."""
