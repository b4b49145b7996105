"""Dashboard users from the command line, and the login limiter's bounds."""

from __future__ import annotations

from click.testing import CliRunner

from footfall.cli import cli
from footfall.dashboard.accounts import Accounts, LoginLimiter
from footfall.storage.meta import MetaStore

from conftest import FakeClock


def test_users_add_reads_the_password_from_stdin_and_can_change_it(tmp_path):
    runner = CliRunner()
    data = str(tmp_path / "data")
    r = runner.invoke(
        cli, ["users", "add", "Me@Example.com", "--password-stdin", "--data-dir", data], input="s3cret-pw\n"
    )
    assert r.exit_code == 0, r.output
    assert "user me@example.com can sign in" in r.output
    accounts = Accounts(MetaStore(tmp_path / "data" / "meta.sqlite3"), FakeClock())
    assert accounts.authenticate("me@example.com", "s3cret-pw") is not None
    r = runner.invoke(
        cli, ["users", "add", "me@example.com", "--password-stdin", "--data-dir", data], input="other-pw1\n"
    )
    assert r.exit_code == 0
    assert accounts.authenticate("me@example.com", "s3cret-pw") is None
    assert accounts.authenticate("me@example.com", "other-pw1") is not None
    assert accounts.create_first_admin() is None  # a user exists: no generated admin


def test_users_add_prompts_twice_and_refuses_short_passwords(tmp_path):
    runner = CliRunner()
    data = str(tmp_path / "data")
    r = runner.invoke(cli, ["users", "add", "admin", "--data-dir", data], input="long-enough\nlong-enough\n")
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["users", "add", "admin", "--password-stdin", "--data-dir", data], input="short\n")
    assert r.exit_code != 0 and "8-1024 characters" in r.output
    r = runner.invoke(cli, ["users", "add", "has space", "--password-stdin", "--data-dir", data], input="long-enough\n")
    assert r.exit_code != 0 and "without spaces" in r.output


def test_the_limiter_forgets_after_its_window_and_stays_bounded():
    clock = FakeClock()
    limiter = LoginLimiter(clock, attempts=3, window_ms=60_000, max_keys=100)
    for _ in range(3):
        limiter.failed("ip:1")
    assert limiter.blocked("ip:1") and not limiter.blocked("ip:2")
    clock.advance(seconds=61)
    assert not limiter.blocked("ip:1")
    for i in range(1000):
        limiter.failed(f"ip:{i}")
    assert len(limiter._failures) == 100
    limiter.failed("email:x")
    limiter.succeeded("email:x")
    assert not limiter.blocked("email:x")


def test_session_tokens_expire(tmp_path):
    clock = FakeClock()
    accounts = Accounts(MetaStore(tmp_path / "meta.sqlite3"), clock)
    user = accounts.set_password("a@b.c", "password-1")
    token = accounts.start_session(user)
    assert accounts.session_user(token) == user
    clock.advance(minutes=14 * 24 * 60 + 1)
    assert accounts.session_user(token) is None
    assert accounts.session_user("") is None and accounts.session_user("x" * 500) is None
