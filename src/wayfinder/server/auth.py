"""Who is calling the query API: a bearer token, its role and the workspace it may read.

``caller`` is a dependency of the whole ``/api`` router, so no route can skip it; ``needs(role)``
adds a role check to the routes that change things. The workspace comes from the ``workspace``
query parameter, else the token's own; a token of another workspace gets 403.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Depends, Query, Request

from wayfinder.engines import check_workspace_name
from wayfinder.server.errors import RequestRefused
from wayfinder.server.keys import ALL_WORKSPACES, Grant
from wayfinder.workspace import DEFAULT_WORKSPACE


@dataclass(frozen=True)
class Caller:
    grant: Grant
    workspace: str

    @property
    def role(self) -> str:
        return self.grant.role


def caller(
    request: Request,
    workspace: str | None = Query(
        None, description="Workspace to read; the token's own by default."
    ),
) -> Caller:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise RequestRefused(
            401, "an API token is needed", hint="send Authorization: Bearer <token>"
        )
    grant = request.app.state.server.keyring.find(token.strip())
    if grant is None:
        raise RequestRefused(
            401, "unknown API token", hint="create one with `wayfinder keys token`"
        )
    if grant.kind != "token":
        raise RequestRefused(
            403, "a write key can only send events", hint="use an API token for /api"
        )
    chosen = workspace or (
        DEFAULT_WORKSPACE if grant.workspace == ALL_WORKSPACES else grant.workspace
    )
    if not grant.allows(chosen):
        raise RequestRefused(
            403,
            "this token is not for this workspace",
            value=chosen,
            hint=f"it reads {grant.workspace}",
        )
    # Routes build file names from it (saved questions), and a '*' token allows any text.
    check_workspace_name(chosen)
    return Caller(grant, chosen)


def needs(role: str) -> Callable[[Caller], Caller]:
    """A dependency that lets through callers with ``role`` or a higher one."""

    def check(who: Caller = Depends(caller)) -> Caller:
        if not who.grant.at_least(role):
            raise RequestRefused(403, f"this needs the {role} role", value=who.role)
        return who

    return check
