"""`kb users ...` and the first admin of `kb run`."""

from __future__ import annotations

from kb.accounts import services as accounts
from kb.accounts.login import authenticate
from kb.cli import _first_admin, main


def test_create_list_set_role_disable_and_token(runner, kb):
    made = runner.invoke(
        main, ["users", "create", "dana", "--role", "curator", "--group", "Finance"]
    )
    assert made.exit_code == 0, made.output
    password = made.output.split("Password (shown once): ")[1].strip()
    assert authenticate(kb.db, "dana", password, address=None).role == "curator"
    piped = runner.invoke(
        main, ["users", "create", "sam", "--password-stdin"], input="a long enough password\n"
    )
    assert piped.exit_code == 0 and "Password" not in piped.output
    listed = runner.invoke(main, ["users", "list"]).output
    assert "dana\tcurator\tfinance\tactive" in listed and "sam\treader\t-\tactive" in listed
    assert runner.invoke(main, ["users", "set-role", "sam", "contributor"]).exit_code == 0
    token = runner.invoke(main, ["users", "token", "sam", "--scope", "write"]).output.strip()
    assert accounts.user_for_token(kb.db, token)[1] == "write"
    assert runner.invoke(main, ["users", "disable", "sam"]).exit_code == 0
    assert accounts.user_for_token(kb.db, token) is None  # a disabled user's tokens stop
    clash = runner.invoke(main, ["users", "create", "dana"])
    assert clash.exit_code == 1 and "already" in clash.output
    bad = runner.invoke(main, ["users", "create", "Not Valid!"])
    assert bad.exit_code == 1 and "username" in bad.output


def test_the_first_start_makes_one_admin_with_a_one_time_password(kb, capsys):
    _first_admin(kb)
    out = capsys.readouterr().out
    password = out.split("password: ")[1].split()[0]
    assert authenticate(kb.db, "admin", password, address=None).role == "admin"
    _first_admin(kb)  # never again once an account exists
    assert capsys.readouterr().out == ""
    assert [u.username for u in accounts.list_users(kb.db)] == ["admin"]
    # the group the starter process models name as approvers: the first admin is in it
    assert [g.name for g in accounts.get_user(kb.db, "admin").groups] == ["pmo"]


def test_run_refuses_a_thread_count_it_cannot_serve_with(runner):
    """`kb run --threads 0` stops before it opens anything, with a usage error."""
    refused = runner.invoke(main, ["run", "--threads", "0"])
    assert refused.exit_code == 2 and "--threads" in refused.output
