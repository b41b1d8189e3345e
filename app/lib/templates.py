"""The Jinja environment every page is rendered with."""

from __future__ import annotations

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template import TemplateConfig

from app.lib import i18n
from app.lib.static_files import static_url
from app.paths import TEMPLATES_DIR


def make_environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "svg", "xml"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    i18n.install(environment)
    environment.globals.update(static_url=static_url, language_name=i18n.language_name)
    return environment


def template_config(environment: Environment | None = None) -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(
        engine=JinjaTemplateEngine.from_environment(environment or make_environment())
    )
