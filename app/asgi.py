"""create_app(): plugins, the route list, and the settings they are built from."""

from __future__ import annotations

import logging
from collections.abc import Callable

from advanced_alchemy.config import EngineConfig
from advanced_alchemy.extensions.litestar import (
    AsyncSessionConfig,
    SQLAlchemyAsyncConfig,
    SQLAlchemyPlugin,
)
from litestar import Litestar, Request
from litestar.config.compression import CompressionConfig
from litestar.datastructures import State
from litestar.plugins.htmx import HTMXPlugin
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings, async_url, get_settings
from app.db.migrate import head_revision
from app.domain.alerts.controllers import ROUTES as ALERT_ROUTES
from app.domain.alerts.controllers._bell import start_bell_hub, stop_bell_hub
from app.domain.alerts.live import channels_plugin
from app.domain.alerts.page_count import count_for_page
from app.domain.audit.controllers import ROUTES as AUDIT_ROUTES
from app.domain.billing.controllers import ROUTES as BILLING_ROUTES
from app.domain.billing.gating import ModuleNotInPlan, upgrade_response
from app.domain.care_notes.controllers import ROUTES as CARE_NOTE_ROUTES
from app.domain.health.controllers import HealthController
from app.domain.home.controllers import HomeController
from app.domain.identity.controllers import (
    AccountController,
    MfaSetupController,
    PasswordChangeController,
    PasswordResetController,
    SignInController,
    SignUpController,
)
from app.domain.identity.guards import authenticate
from app.domain.keys.keyring import Keyring
from app.domain.medications.controllers import ROUTES as MEDICATION_ROUTES
from app.domain.patients.controllers import ROUTES as PATIENT_ROUTES
from app.domain.pwa.controllers import PwaController
from app.domain.settings.controllers import LanguageController
from app.domain.staff.controllers import ROUTES as STAFF_ROUTES
from app.domain.tasks.controllers import ROUTES as TASK_ROUTES
from app.domain.tenant_settings.controllers import ROUTES as TENANT_SETTINGS_ROUTES
from app.domain.today.controllers import ROUTES as TODAY_ROUTES
from app.domain.vitals.controllers import ROUTES as VITAL_ROUTES
from app.lib import i18n
from app.lib.csrf import CsrfMiddleware
from app.lib.errors import EXCEPTION_HANDLERS
from app.lib.keys import load_key, master_keys, mfa_key
from app.lib.security_headers import add_security_headers
from app.lib.static_files import serve_static
from app.lib.templates import template_config
from app.lib.unit_of_work import after_request, close_session, remember_request
from app.lib.unstorable import refuse_unstorable_text


def database_config(
    settings: Settings, session_maker: Callable[[], AsyncSession] | None = None
) -> SQLAlchemyAsyncConfig:
    """The session per request; `session_maker` lets tests bind it to their transaction."""
    if not settings.database.url:
        msg = (
            "DATABASE_URL is not set. Start Tend with `tend run`, which starts an embedded "
            "PostgreSQL when there is none, or set DATABASE_URL."
        )
        raise SystemExit(msg)
    return SQLAlchemyAsyncConfig(
        connection_string=async_url(settings.database.url),
        session_maker=session_maker,
        create_all=False,
        # The commit is `after_request`'s, before the response is sent (lib/unit_of_work):
        # this hook only rolls back what is left and closes the session.
        before_send_handler=close_session,
        session_config=AsyncSessionConfig(expire_on_commit=False),
        engine_config=EngineConfig(
            pool_size=settings.database.pool_size,
            max_overflow=settings.database.max_overflow,
            connect_args={"server_settings": {"application_name": "tend-web"}},
        ),
    )


async def before_request(request: Request) -> None:
    """After the guards, before each handler: the request noted for the commit in
    `after_request`, the locale, text the database cannot store refused, and the bell's
    count for a page."""
    remember_request(request)
    i18n.activate_for(request)
    await refuse_unstorable_text(request)
    await count_for_page(request)


def create_app(
    settings: Settings | None = None, session_maker: Callable[[], AsyncSession] | None = None
) -> Litestar:
    """The Tend web app (uvicorn calls this as a factory in each worker process)."""
    settings = settings or get_settings()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    secret = load_key(settings, "TEND_SECRET_KEY", "secret_key")
    db_config = database_config(settings, session_maker)
    state = {
        "settings": settings,
        "migration_head": head_revision(),
        "secret_key": secret,
        "keyring": Keyring(master_keys(settings)),
        "mfa_key": mfa_key(settings),
        "db_config": db_config,
    }
    return Litestar(
        route_handlers=[
            HomeController,
            LanguageController,
            HealthController,
            PwaController,
            SignUpController,
            SignInController,
            AccountController,
            MfaSetupController,
            PasswordChangeController,
            PasswordResetController,
            *STAFF_ROUTES,
            *PATIENT_ROUTES,
            *AUDIT_ROUTES,
            *TENANT_SETTINGS_ROUTES,
            *BILLING_ROUTES,
            *TODAY_ROUTES,
            *CARE_NOTE_ROUTES,
            *MEDICATION_ROUTES,
            *VITAL_ROUTES,
            *TASK_ROUTES,
            *ALERT_ROUTES,
            serve_static,
        ],
        guards=[authenticate],
        plugins=[
            SQLAlchemyPlugin(config=db_config),
            HTMXPlugin(),
            channels_plugin(settings.database.url),
        ],
        template_config=template_config(),
        # CSRF bound to the session (app/lib/csrf.py), not litestar's double-submit cookie,
        # whose token would be accepted from any session.
        middleware=[CsrfMiddleware],
        compression_config=CompressionConfig(
            backend="gzip",
            minimum_size=1024,
            gzip_compress_level=6,
            # Event streams go out as written, a few bytes at a time.
            exclude=["^/static/", "^/alerts/stream$"],
        ),
        before_request=before_request,
        after_request=after_request,
        on_startup=[start_bell_hub],
        on_shutdown=[stop_bell_hub],
        before_send=[add_security_headers],
        exception_handlers={ModuleNotInPlan: upgrade_response, **EXCEPTION_HANDLERS},  # type: ignore[dict-item]
        state=State(state),
        openapi_config=None,
        debug=False,
    )
