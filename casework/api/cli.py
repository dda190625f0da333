"""`casework api-tokens`: make, list and revoke the read API's tokens from the command line."""

from __future__ import annotations

import click

from .. import clock
from ..command_line import Refused


def _admin(email: str):
    from ..auth.service import find_user

    user = find_user(email)
    if user is None or user.role != "admin" or not user.active:
        raise Refused(f"{email} is not an active administrator")
    return user


@click.group("api-tokens", help="Tokens for the read API (/api/v1/); see docs/api.md.")
def api_tokens() -> None:
    pass


@api_tokens.command("create")
@click.option("--user", "user_email", help="The user the token acts as (their role and scope).")
@click.option("--system", "system_name", help="A partner system's name, instead of a user.")
@click.option("--role", type=click.Choice(["manager", "auditor"]),
              help="A partner system's role.")
@click.option("--days", type=click.IntRange(1, 366), default=90, show_default=True,
              help="Days until the token expires.")
@click.option("--by", "by_email", required=True, help="The administrator making it.")
def create(user_email, system_name, role, days, by_email) -> None:
    """Make a token; print it once (it is kept only as its hash)."""
    from .tokens import TokenRefused, create_token

    try:
        token, secret = create_token(_admin(by_email), user_email=user_email,
                                     system_name=system_name, system_role=role, days=days,
                                     how="command line")
    except TokenRefused as refused:
        raise Refused(str(refused)) from None
    click.echo(f"token {token.id} for {token.holder}, expires "
               f"{clock.local(token.expires_at):%Y-%m-%d %H:%M}. "
               "It is shown only now:", err=True)
    click.echo(secret)


@api_tokens.command("revoke")
@click.argument("token_id", type=int)
@click.option("--by", "by_email", required=True, help="The administrator revoking it.")
def revoke(token_id, by_email) -> None:
    """Revoke a token: its next call gets 401."""
    from .tokens import TokenRefused, revoke_token

    try:
        token = revoke_token(token_id, _admin(by_email), how="command line")
    except TokenRefused as refused:
        raise Refused(str(refused)) from None
    click.echo(f"token {token.id} for {token.holder} revoked")


@api_tokens.command("list")
def list_tokens() -> None:
    """Every token: id, holder, status, expiry, last use (never the token itself)."""
    from .tokens import status, tokens

    for t in tokens():
        used = (f"{clock.local(t.last_used_at):%Y-%m-%d %H:%M}" if t.last_used_at
                else "never used")
        click.echo(f"{t.id:>5}  {t.prefix}...  {t.holder:<40} {status(t):<16} "
                   f"expires {clock.local(t.expires_at):%Y-%m-%d %H:%M}  {used}")
