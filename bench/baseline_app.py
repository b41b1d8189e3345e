"""The baseline: the least each benchmarked page can cost on Tend's own stack.

Bare Litestar, a raw asyncpg pool, and Tend's Jinja environment and templates. No
middleware, plugins, dependency injection or ORM session: each handler runs the queries
Tend's page runs and renders the template it renders. What Tend spends beyond this is
what its layers cost. Started by the harness as
`uvicorn bench.baseline_app:create_app --factory` with DATABASE_URL set to the app role.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from jinja2 import Environment
from litestar import Litestar, MediaType, Request, get
from litestar.datastructures import State

from app.config import plain_url
from app.lib.templates import make_environment

# The shape of a Litestar CSRF token (64 random hex digits and a 64-digit HMAC), so the
# page has the same size as Tend's; one per process, as a returning visitor's would be.
CSRF_TOKEN = secrets.token_hex(64)

# Tend's per-worker pool: pool_size 10 plus max_overflow 10 (app/config.py).
POOL_MAX_SIZE = 20


def environment() -> Environment:
    env = make_environment()
    env.globals["csrf_token"] = lambda: CSRF_TOKEN
    return env


@get("/", media_type=MediaType.HTML)
async def home(request: Request, state: State) -> str:
    """Tend's home page: `TenantService.any_exist()` and home/page.html."""
    has_tenants = await state.pool.fetchval("SELECT EXISTS (SELECT 1 FROM tenants)")
    return state.templates.get_template("home/page.html").render(
        request=request, has_tenants=has_tenants
    )


@get("/readyz", media_type=MediaType.TEXT)
async def readyz(state: State) -> str:
    await state.pool.fetchval("SELECT 1")
    return "ready"


@asynccontextmanager
async def pool(app: Litestar) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(
        plain_url(os.environ["DATABASE_URL"]),
        min_size=1,
        max_size=POOL_MAX_SIZE,
        server_settings={"application_name": "tend-bench-baseline"},
    )
    try:
        yield
    finally:
        await app.state.pool.close()


def create_app() -> Litestar:
    return Litestar(
        route_handlers=[home, readyz],
        lifespan=[pool],
        state=State({"templates": environment()}),
        openapi_config=None,
        debug=False,
    )
