"""`kb users ...`: accounts from the command line, for set-up and scripts."""

from __future__ import annotations

import secrets
import sys

import click

from kb.accounts import services as accounts
from kb.accounts.models import ROLES
from kb.cli.opening import opened


@click.group("users")
def users() -> None:
    """Accounts: who may read and change what."""


@users.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), default="reader", show_default=True)
@click.option("--group", "groups", multiple=True, help="A group to join (repeat for several).")
@click.option("--name", "display_name", help="Display name (default: the username).")
@click.option("--email")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from standard input instead of generating one.",
)
def create(
    username: str,
    role: str,
    groups: tuple[str, ...],
    display_name: str | None,
    email: str | None,
    password_stdin: bool,
) -> None:
    """Create an account; without --password-stdin a password is generated and printed once."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else secrets.token_urlsafe(12)
    with opened() as kb:
        user = accounts.create_user(
            kb.db,
            username,
            password=password,
            role=role,
            groups=list(groups),
            display_name=display_name,
            email=email,
            actor="kb users",
            must_change_password=not password_stdin,
        )
    click.echo(f"Created {user.username} ({user.role}).")
    if not password_stdin:
        click.echo("The first sign-in with this password asks for a new one.")
        click.echo(f"Password (shown once): {password}")


@users.command("list")
def list_command() -> None:
    """Every account: username, role, groups, state, last sign-in."""
    with opened() as kb:
        for user in accounts.list_users(kb.db):
            groups = ",".join(g.name for g in user.groups) or "-"
            state = "active" if user.is_active else "disabled"
            last = f"{user.last_login_at:%Y-%m-%d %H:%M}" if user.last_login_at else "never"
            click.echo(f"{user.username}\t{user.role}\t{groups}\t{state}\t{last}")


@users.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(ROLES))
def set_role(username: str, role: str) -> None:
    """Give an account another role."""
    with opened() as kb:
        accounts.update_user(kb.db, username, role=role, actor="kb users")
    click.echo(f"{username} is now {role}.")


@users.command("disable")
@click.argument("username")
def disable(username: str) -> None:
    """Disable an account; its sessions and API tokens stop working at once."""
    with opened() as kb:
        accounts.update_user(kb.db, username, is_active=False, actor="kb users")
    click.echo(f"{username} is disabled.")


@users.command("token")
@click.argument("username")
@click.option("--scope", type=click.Choice(["read", "write"]), default="read", show_default=True)
@click.option("--name", default="command line", show_default=True)
def token(username: str, scope: str, name: str) -> None:
    """Make an API token for USERNAME; printed once (send it as Authorization: Bearer ...)."""
    with opened() as kb:
        _, value = accounts.create_token(kb.db, username, name=name, scope=scope)
    click.echo(value)
