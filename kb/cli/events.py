"""`kb worker` and `kb events ...`: run handlers; look at and act on the event log."""

from __future__ import annotations

import json
import signal
from datetime import timedelta

import click

from kb.cli.opening import opened
from kb.events.jobs import admin
from kb.events.jobs.lanes import WorkerThreads


@click.command("worker")
@click.option("--once", is_flag=True, help="Run what is due now, then exit.")
@click.option(
    "--interval",
    type=float,
    default=0.5,
    show_default=True,
    help="Seconds between two looks for due work.",
)
@click.option(
    "--lease",
    type=float,
    default=60.0,
    show_default=True,
    help="Seconds a claimed run stays this worker's; after that, if it died, another "
    "worker takes the run over.",
)
def worker(once: bool, interval: float, lease: float) -> None:
    """Run event handlers and webhook deliveries (several may run against PostgreSQL)."""
    with opened() as kb:
        kb.register_event_secret()
        kb.worker.lease = timedelta(seconds=lease)
        if once:
            click.echo(f"{kb.worker.run_pending()} runs done")
            return
        if kb.config.INDEXER_THREAD:
            # briefings and recurrence search this host's index: follow the log into it when
            # no web process of the host does (one follower per folder; see kb.serving)
            kb.follower.start()
            kb.listen(kb.follower.wake)
        threads = WorkerThreads(kb.worker, interval, deliveries=kb.config.DELIVERY_THREADS)
        kb.listen(threads.wake)  # PostgreSQL: woken by the web processes' commits
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: threads.stop(timeout=0))
        click.echo(f"kb worker {kb.worker.name} started (Ctrl+C to stop)")
        threads.run()


@click.group("events")
def events() -> None:
    """The event log: what happened, and what the handlers did about it."""


def _row(view: admin.EventView) -> dict:
    e = view.event
    return {
        "seq": e.seq,
        "id": e.event_id,
        "source": e.source,
        "type": e.type,
        "subject": e.subject,
        "time": e.time.isoformat(),
        "status": view.status,
        "runs": [
            {
                "handler": r.handler,
                "status": r.status,
                "attempts": r.attempts,
                "last_error": r.last_error,
            }
            for r in view.runs
        ],
    }


@events.command("list")
@click.option("--type", "type_", help="Only this event type.")
@click.option("--status", type=click.Choice(admin.STATUSES), help="Only events in this state.")
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def list_command(type_: str | None, status: str | None, limit: int, as_json: bool) -> None:
    """Newest events first."""
    with opened() as kb:
        for view in admin.list_events(kb.db, type=type_, status=status, limit=limit):
            if as_json:
                click.echo(json.dumps(_row(view)))
            else:
                e = view.event
                click.echo(
                    f"{e.seq:>8}  {e.time:%Y-%m-%d %H:%M:%S}  {view.status:<8} {e.type}  {e.subject or ''}"
                )


@events.command("show")
@click.argument("seq", type=int)
def show_command(seq: int) -> None:
    """One event with its data and the runs of its handlers."""
    with opened() as kb:
        view = admin.get_event(kb.db, seq)
        row = _row(view)
        row["data"] = view.event.data
        click.echo(json.dumps(row, indent=2, default=str))


@events.command("retry")
@click.argument("seq", type=int)
def retry_command(seq: int) -> None:
    """Give the dead-lettered runs of one event a fresh set of attempts."""
    with opened() as kb:
        click.echo(f"{admin.retry_event(kb.db, seq)} runs scheduled again")


@events.command("replay")
@click.option("--from", "from_seq", type=int, required=True, help="First sequence number.")
@click.option("--type", "type_", help="Only this event type.")
def replay_command(from_seq: int, type_: str | None) -> None:
    """Run the handlers again for every event from SEQ on (handlers are idempotent)."""
    with opened() as kb:
        click.echo(
            f"{admin.replay(kb.db, kb.registry, from_seq=from_seq, type=type_)} runs scheduled"
        )
