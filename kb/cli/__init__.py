"""The `kb` command. Nothing imports this module; it only calls services."""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import click

from kb.cli.opening import opened
from kb.context import Kb
from kb.documents.transfer import export_tree, import_tree
from kb.migrate import upgrade
from kb.paths.transfer import export_paths, import_paths
from kb.processes import exchange
from kb.storage.files import count_files, shown

log = logging.getLogger("kb.cli")

#: the group the starter process models name as `approvers:` (content/processes)
STARTER_APPROVERS = "pmo"
STARTER_APPROVERS_TEXT = "The PMO: approves the starter process models."


@contextmanager
def bar(length: int, label: str):
    """A progress bar on a terminal; silent when output goes to a file or CI."""
    with click.progressbar(length=length, label=label, file=sys.stderr, show_pos=True) as progress:
        yield progress.update


@click.group()
def main() -> None:
    """kb — the PMO's corporate memory of lessons learned and process models."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


def _first_admin(kb: Kb) -> None:
    """The very first start has no account: make an admin with a one-time password, printed
    once here. Never a default password."""
    import secrets

    from kb.accounts import services as accounts

    if accounts.list_users(kb.db):
        return
    password = secrets.token_urlsafe(12)
    accounts.create_user(
        kb.db,
        "admin",
        password=password,
        role="admin",
        actor="kb init",
        display_name="Administrator",
        groups=[STARTER_APPROVERS],
        must_change_password=True,
    )
    click.echo("No account existed, so kb created one (the first sign-in asks for a new password):")
    click.echo(f"  username: admin\n  password: {password}   (shown once)")


def _starter_group(kb: Kb) -> None:
    """The starter process models name the group `pmo` as their approvers: kb makes it (the
    first admin joins it; add the PMO's people under Admin → Groups)."""
    from kb.accounts import groups, services

    if not any(g.name == STARTER_APPROVERS for g in services.list_groups(kb.db)):
        groups.create_group(
            kb.db, STARTER_APPROVERS, actor="kb init", description=STARTER_APPROVERS_TEXT
        )


def _init(kb: Kb, *, content: bool) -> None:
    upgrade(kb.config.DATABASE_URL)
    from kb.documents.services import list_documents

    if content and list_documents(kb.db, per_page=1).total == 0:
        folder = Path(kb.config.CONTENT_DIR)
        if folder.is_dir():
            report = import_tree(
                kb.db, folder, actor="kb init", converters={".bpmn": exchange.bpmn_source}
            )
            click.echo(f"Starter content from {folder}: {report.summary()}")
            click.echo(import_paths(kb.db, folder, actor="kb init").summary())
            _starter_group(kb)


def _auto(count: int, threshold: int) -> int:
    """Parallel work pays from thousands of documents; below that one process is faster."""
    return max(1, os.cpu_count() or 1) if count >= threshold else 1


def _parsers(count: int, indexing: int, cores: int | None = None) -> int:
    """Processes that parse and render beside the importing one: the cores the indexing
    processes leave free. On two cores a parsing pool beside two indexing processes cost
    more than it saved (3,000 lessons: 5.1 against 3.7 ms of CPU a document, all processes;
    each document is pickled there and back, and each pool process imports kb)."""
    free = (cores or os.cpu_count() or 1) - indexing
    return free if count >= 1000 and free > 1 else 1


@main.command("init")
@click.option("--no-content", is_flag=True, help="Do not load the starter content.")
def init_command(no_content: bool) -> None:
    """Create or upgrade the database; load the starter content into an empty one."""
    with opened() as kb:
        _init(kb, content=not no_content)
        kb.register_event_secret()
        if kb.index.is_follower():  # else a running kb follows the log into the index
            kb.projection.catch_up()
    click.echo("Database ready.")


@main.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option(
    "--processes",
    type=click.IntRange(1, 64),
    help="Processes serving requests [default: one per core; 1 where the system cannot fork].",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 64),
    help="Threads of each process; each reads the index through a searcher of its own "
    "[default: 2, or 4 in a single process].",
)
def run_command(host: str, port: int, processes: int | None, threads: int | None) -> None:
    """Initialise if needed, then serve the web application: one process per core (Python runs
    one thread of a process at a time, so processes are what use the cores), each with the
    index follower and the event worker in threads; a single process with --processes 1."""
    from kb import create_app
    from kb.serving import check_port, cores, serve_forked, start_background

    if processes is None:
        processes = cores() if hasattr(os, "fork") else 1
    with opened() as kb:
        _init(kb, content=True)
        _first_admin(kb)
    app = create_app()
    if processes > 1:
        try:
            check_port(host, port)
        except OSError as exc:
            raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    click.echo(f"kb is running on http://{host}:{port}/  (Ctrl+C to stop)")
    if processes > 1:  # gunicorn: forked processes, which share the app's memory
        serve_forked(app, host, port, processes, threads or 2)
        return
    import waitress  # one process, on any system

    # a service manager's SIGTERM stops it as Ctrl+C does: waitress ends its loop on SystemExit,
    # then the kb closes (usage counts written, threads stopped); by default it would just die
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    start_background(app)
    try:
        waitress.serve(app, host=host, port=port, threads=threads or 4, ident="kb")
    finally:
        app.extensions["kb"].close()


@main.command("import")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--actor",
    default="kb import",
    show_default=True,
    help="Recorded as the author of the revisions.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="Processes that parse and render [default: from 1,000 files, one per core that "
    "indexing leaves free; none beside the importing one on two cores].",
)
@click.option(
    "--create-projects",
    is_flag=True,
    help="Register the projects the documents name that the register does not hold "
    "(a first migration); without it such documents are rejected.",
)
def import_command(folder: Path, actor: str, workers: int | None, create_projects: bool) -> None:
    """Import a tree of Markdown files (lessons/, processes/, guides/, glossary/, paths/,
    projects/) and BPMN 2.0 files (*.bpmn: process models, what kb cannot represent listed as
    "not kept")."""
    with opened() as kb:
        upgrade(kb.config.DATABASE_URL)
        started = time.perf_counter()
        total = count_files(folder)
        # the index is fed as each batch commits, also while a kb runs on the host (its
        # follower, a thread indexing in one process, fell behind the import; it waits for
        # the writer lock, then reads what came after: kb.documents.projection). The
        # indexing processes fork before the parsing pool's thread starts (forking a
        # process that runs threads is not safe)
        processes = _auto(total, 2000)
        with kb.projection.bulk(processes=processes) as follow:
            with bar(total, "Importing") as tick:
                report = import_tree(
                    kb.db,
                    folder,
                    actor=actor,
                    progress=tick,
                    workers=workers or _parsers(total, processes),
                    create_projects=create_projects,
                    converters={".bpmn": exchange.bpmn_source},
                    committed=follow,
                )
            paths = import_paths(kb.db, folder, actor=actor)
            took = time.perf_counter() - started
        for path, note in report.notes:
            click.echo(f"not kept {shown(path)}: {shown(note)}", err=True)
        for path, reason in report.rejected + paths.rejected:
            # a reason may quote the file (a bad value): no control characters to the terminal
            click.echo(f"rejected {shown(path)}: {shown(reason)}", err=True)
        click.echo(f"{report.summary()}; {paths.summary()} in {took:.1f} s")
        later = time.perf_counter() - started - took
        click.echo(f"Search index up to date {later:.1f} s later")
    if report.rejected or paths.rejected:
        sys.exit(1)


@main.command("export")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def export_command(folder: Path) -> None:
    """Write every document, project and path as Markdown files into FOLDER."""
    with opened() as kb:
        report = export_tree(kb.db, folder)
        paths = export_paths(kb.db, folder)
    click.echo(
        f"Exported {report.documents} documents, {report.projects} projects and {paths} paths "
        f"to {folder}"
    )


@main.command("reindex")
@click.option(
    "--processes",
    type=click.IntRange(1, 64),
    help="Indexing processes [default: one per core from 2,000 documents].",
)
def reindex_command(processes: int | None) -> None:
    """Rebuild this host's search index from the database."""
    from kb.documents.services import count_documents

    with opened() as kb:
        started = time.perf_counter()
        total = sum(count_documents(kb.db).values())
        with bar(total, "Indexing") as tick:
            count = kb.projection.rebuild(progress=tick, processes=processes or _auto(total, 2000))
        click.echo(f"Indexed {count} documents in {time.perf_counter() - started:.1f} s")


def _add_groups() -> None:
    from kb.cli.docs import docs
    from kb.cli.events import events, worker
    from kb.cli.producers import producers
    from kb.cli.subscriptions import subscriptions
    from kb.cli.users import users

    for command in (docs, events, worker, producers, subscriptions, users):
        main.add_command(command)


_add_groups()
