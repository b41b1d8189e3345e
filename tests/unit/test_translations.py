"""Every word Tend shows is marked for translation, and every catalog is complete.

DESIGN.md §8 asks for every user-facing string to be translatable from the first line
written. Two small linters hold Tend to that, and the catalog tests keep
app/locales in step with the sources (docs/TRANSLATING.md has the commands).

Templates (app/templates/**.html). Each template is split with Jinja's own lexer; the
HTML outside `{% trans %}...{% endtrans %}` (`{% pluralize %}` sits inside such a block)
goes through `html.parser`, with every Jinja tag, expression and comment left out. What
remains is literal markup, and it must not carry words:

* a text node with a letter in any script (`str.isalpha`) is flagged; whitespace,
  punctuation, digits and symbols such as ×, ✓ and ▲ are not words, and neither is the
  content of <script>, <style> or an HTML comment;
* so is a letter in an attribute people read or hear: alt, title, placeholder,
  aria-label, aria-description, aria-roledescription, label, the content of
  <meta name="description">, and the value of a submit, reset or plain button input.

An attribute whose value is `{{ _("...") }}` is a Jinja expression, not markup, so it
is left out naturally. Not covered: strings that reach the page through Jinja
expressions, such as `{% set title = "..." %}`; review catches those.

Python (app/**.py). A string literal or f-string with a letter in it must be wrapped in
`_`, `gettext`, `ngettext` or `lazy_gettext` when it is given to a user-facing sink:

* the message, the first argument, of `toast(...)`;
* a keyword argument named error, message, title, detail, label or help_text in any
  call, which covers `raise NotFoundException(detail="...")`;
* the first positional argument of a raised `...Exception(...)`: Litestar makes it the
  exception's detail;
* in app/domain/**/controllers.py, the value of an "error", "message", "title" or
  "detail" key in a dict literal (template contexts and JSON bodies).

Logging calls (`log.info(...)`, `logger.error(...)`, `logging.warning(...)`) are for
operators and are skipped, as is app/cli.py, whose messages are English by decision
(see its docstring).
"""

from __future__ import annotations

import ast
import io
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from app.lib.i18n import SOURCE_LOCALE, translations
from app.lib.templates import make_environment
from app.paths import LOCALES_DIR, PACKAGE_DIR, TEMPLATES_DIR

ROOT = PACKAGE_DIR.parent
POT = LOCALES_DIR / "messages.pot"
HOW_TO = "run the commands in docs/TRANSLATING.md"
CATALOGS = sorted(LOCALES_DIR.glob("*/LC_MESSAGES/messages.po"))
LOCALES = [po.parent.parent.name for po in CATALOGS]


def _has_letter(text: str) -> bool:
    return any(character.isalpha() for character in text)


# --- Templates -------------------------------------------------------------------------

TEXT_ATTRIBUTES = frozenset(
    {
        "alt",
        "title",
        "placeholder",
        "aria-label",
        "aria-description",
        "aria-roledescription",
        "label",
    }
)
BUTTON_INPUT_TYPES = frozenset({"submit", "reset", "button"})

# (template, text) pairs that look like words but are not, each with a comment saying why.
ALLOWED_TEMPLATE_TEXT = {
    # The info glyph in the toast icon (aria-hidden, like ! ▲ ✓ beside it); the toast's
    # translated title carries the meaning.
    ("components/_alert.html", "i"),
}


class _UntranslatedMarkup(HTMLParser):
    """Collects (line, text) for words in markup; fed only the markup of one template."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._raw_element: str | None = None
        self._line = 1

    def feed_at(self, line: int, data: str) -> None:
        # Jinja tags are left out, and trim_blocks eats newlines after them; newlines
        # stand in for them so the parser's line numbers stay the template's.
        if line > self._line:
            data = "\n" * (line - self._line) + data
        self._line += data.count("\n")
        self.feed(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._raw_element = tag
        attributes = dict(attrs)
        for name, value in attrs:
            if value and _has_letter(value) and self._is_read_aloud(tag, name, attributes):
                self.found.append((self.getpos()[0], f'<{tag} {name}="{value}">'))

    def handle_endtag(self, tag: str) -> None:
        if tag == self._raw_element:
            self._raw_element = None

    def handle_data(self, data: str) -> None:
        text = data.strip()
        if self._raw_element or not _has_letter(text):
            return
        leading = data[: len(data) - len(data.lstrip())]
        self.found.append((self.getpos()[0] + leading.count("\n"), text))

    @staticmethod
    def _is_read_aloud(tag: str, name: str, attributes: dict[str, str | None]) -> bool:
        if name in TEXT_ATTRIBUTES:
            return True
        if tag == "meta" and name == "content":
            return attributes.get("name") == "description"
        if tag == "input" and name == "value":
            return (attributes.get("type") or "").lower() in BUTTON_INPUT_TYPES
        return False


_ENVIRONMENT = make_environment()


def untranslated_template_text(source: str, name: str) -> list[str]:
    """`name:line: text` for each word in the template's markup outside {% trans %}."""
    markup = _UntranslatedMarkup()
    in_trans = False
    tag_name_next = False
    for line, kind, value in _ENVIRONMENT.lex(source, name):
        if kind == "whitespace":
            continue
        if kind == "block_begin":
            tag_name_next = True
            continue
        if tag_name_next and kind == "name":
            in_trans = value == "trans" or (in_trans and value != "endtrans")
        tag_name_next = False
        if kind == "data" and not in_trans:
            markup.feed_at(line, value)
    markup.close()
    return [
        f"{name}:{line}: {text}"
        for line, text in markup.found
        if (name, text) not in ALLOWED_TEMPLATE_TEXT
    ]


def _templates() -> list[Path]:
    return sorted(TEMPLATES_DIR.rglob("*.html"))


def test_templates_mark_every_word_for_translation() -> None:
    found = [
        problem
        for path in _templates()
        for problem in untranslated_template_text(
            path.read_text(encoding="utf-8"), path.relative_to(TEMPLATES_DIR).as_posix()
        )
    ]
    assert not found, "Words in templates not marked for translation:\n" + "\n".join(found)


BAD_TEMPLATE = """\
{% extends "layouts/base.html" %}
{% block content %}
<h1>Medicines</h1>
<p>{% trans %}Given today{% endtrans %} by {{ carer }}</p>
{% if overdue %}
<img src="/pill.svg" alt="Pill">
{% endif %}
<input type="search" placeholder="{{ _('Search') }} people" aria-label="Search">
<meta name="description" content="Care notes">
<input type="submit" value="Save">
<button title="Close">×</button>
{% endblock %}
"""

GOOD_TEMPLATE = """\
{# A comment with words is for whoever reads the template. #}
<!doctype html>
<h1>{% trans %}Medicines{% endtrans %}</h1>
<p>{% trans count=doses %}One dose given{% pluralize %}{{ count }} doses given{% endtrans %}</p>
<p>{{ _("Given by %(name)s", name=carer) }} · 12:30 – ✓ ▲ ! × &times; &nbsp; 100%</p>
<img src="/pill.svg" alt="">
<img src="/pill.svg" alt="{{ _('Pill') }}">
<input type="search" placeholder="{{ _('Search people') }}" name="query" value="">
<input type="hidden" name="next" value="home">
<meta name="viewport" content="width=device-width">
<button type="button" aria-label="{% trans %}Close{% endtrans %}" class="button">×</button>
<!-- Plain words in an HTML comment are not shown. -->
<script type="module">document.title = "Loaded";</script>
<style>.note::before { content: "Note"; }</style>
<span class="{{ 'active' if current else 'idle' }}">{{ name }}</span>
"""


def test_template_linter_flags_words_outside_trans() -> None:
    found = untranslated_template_text(BAD_TEMPLATE, "bad.html")
    assert found == [
        "bad.html:3: Medicines",
        "bad.html:4: by",
        """bad.html:6: <img alt="Pill">""",
        """bad.html:8: <input placeholder=" people">""",
        """bad.html:8: <input aria-label="Search">""",
        """bad.html:9: <meta content="Care notes">""",
        """bad.html:10: <input value="Save">""",
        """bad.html:11: <button title="Close">""",
    ]


def test_template_linter_accepts_marked_text_symbols_and_code() -> None:
    assert untranslated_template_text(GOOD_TEMPLATE, "good.html") == []


# --- Python ----------------------------------------------------------------------------

TRANSLATORS = frozenset({"_", "gettext", "ngettext", "lazy_gettext"})
MESSAGE_KEYWORDS = frozenset({"error", "message", "title", "detail", "label", "help_text"})
MESSAGE_KEYS = frozenset({"error", "message", "title", "detail"})
LOG_METHODS = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "log"}
)
LOGGERS = frozenset({"log", "logger", "logging"})
# The operator CLI speaks English by decision (app/cli/__init__.py).
OPERATOR_ONLY_PREFIX = "app/cli/"
NOT_SHOWN = "# i18n: not shown"


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _is_logging(call: ast.Call) -> bool:
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr not in LOG_METHODS:
        return False
    receiver = _name(func.value)
    return receiver is not None and receiver.strip("_").lower() in LOGGERS


def _unmarked(node: ast.expr) -> ast.expr | None:
    """The literal text in a message expression that no translation function wraps."""
    if isinstance(node, ast.Constant):
        return node if isinstance(node.value, str) and _has_letter(node.value) else None
    if isinstance(node, ast.JoinedStr):
        literal = [part for part in node.values if isinstance(part, ast.Constant)]
        return node if any(_has_letter(str(part.value)) for part in literal) else None
    if isinstance(node, ast.Call):
        if _name(node.func) in TRANSLATORS:
            return None
        if isinstance(node.func, ast.Attribute) and node.func.attr == "format":
            return _unmarked(node.func.value)
        return None
    if isinstance(node, ast.BinOp):
        return _unmarked(node.left) or _unmarked(node.right)
    if isinstance(node, ast.IfExp):
        return _unmarked(node.body) or _unmarked(node.orelse)
    if isinstance(node, ast.BoolOp):
        return next(filter(None, map(_unmarked, node.values)), None)
    return None


class _UnmarkedMessages(ast.NodeVisitor):
    def __init__(self, path: str, source: str) -> None:
        self.path = path
        self.source = source
        self.check_dict_keys = path.startswith("app/domain/") and "/controllers" in path
        self.lines = source.splitlines()
        self.found: list[str] = []

    def _check(self, node: ast.expr, sink: str) -> None:
        literal = _unmarked(node)
        # A value that only looks like a message (a code, a library option) says so.
        if literal is not None and NOT_SHOWN in self.lines[literal.lineno - 1]:
            return
        if literal is not None:
            text = ast.get_source_segment(self.source, literal) or ""
            self.found.append(f"{self.path}:{literal.lineno}: {sink} {text}")

    def visit_Call(self, node: ast.Call) -> None:
        if _is_logging(node):
            return
        if _name(node.func) == "toast" and node.args:
            self._check(node.args[0], "toast()")
        for keyword in node.keywords:
            if keyword.arg in MESSAGE_KEYWORDS:
                self._check(keyword.value, f"{keyword.arg}=")
        self.generic_visit(node)

    def visit_Raise(self, node: ast.Raise) -> None:
        exc = node.exc
        if isinstance(exc, ast.Call) and exc.args and str(_name(exc.func)).endswith("Exception"):
            self._check(exc.args[0], "raise")
        self.generic_visit(node)

    def visit_Dict(self, node: ast.Dict) -> None:
        if self.check_dict_keys:
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value in MESSAGE_KEYS:
                    self._check(value, f'"{key.value}":')
        self.generic_visit(node)


def unmarked_python_messages(source: str, path: str) -> list[str]:
    """`path:line: sink text` for each untranslated literal given to a user-facing sink."""
    visitor = _UnmarkedMessages(path, source)
    visitor.visit(ast.parse(source, filename=path))
    return visitor.found


def _python_modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if not relative.startswith(OPERATOR_ONLY_PREFIX):
            yield relative, path


def test_python_marks_every_user_facing_message() -> None:
    found = [
        problem
        for relative, path in _python_modules()
        for problem in unmarked_python_messages(path.read_text(encoding="utf-8"), relative)
    ]
    assert not found, "Messages in Python not marked for translation:\n" + "\n".join(found)


BAD_MODULE = """\
from litestar.exceptions import NotFoundException

def save(request, person):
    headers = toast("Saved")
    context = {"error": "Choose a time.", "title": f"Notes for {person}"}
    form = Field(label="Name", help_text="As the person likes to be called")
    if person is None:
        raise NotFoundException(detail="No such person")
    if person.archived:
        raise NotFoundException("Archived")
    return render(request, message="Saved " + _("today"), headers=headers)
"""

GOOD_MODULE = """\
import logging

from app.lib import i18n
from app.lib.i18n import _, lazy_gettext, ngettext

log = logging.getLogger("tend.notes")
TITLE = lazy_gettext("Notes")

def save(request, person, count, error):
    log.error("Could not save note", extra={"message": "for operators"})
    logging.warning("English for operators, title=%s", person)
    headers = toast(_("Saved"), level="success")
    context = {"error": i18n._("Choose a time."), "status": "ok", "title": TITLE}
    context |= {"detail": ngettext("%(num)d note", "%(num)d notes", count), "message": error}
    if person is None:
        raise NotFoundException(detail=_("No such person"))
    title = _("Notes for %(name)s", name=person.name)
    return render(request, title=title, label="", headers=headers)
"""


def test_python_linter_flags_unmarked_messages() -> None:
    found = unmarked_python_messages(BAD_MODULE, "app/domain/notes/controllers.py")
    assert found == [
        'app/domain/notes/controllers.py:4: toast() "Saved"',
        'app/domain/notes/controllers.py:5: "error": "Choose a time."',
        'app/domain/notes/controllers.py:5: "title": f"Notes for {person}"',
        'app/domain/notes/controllers.py:6: label= "Name"',
        'app/domain/notes/controllers.py:6: help_text= "As the person likes to be called"',
        'app/domain/notes/controllers.py:8: detail= "No such person"',
        'app/domain/notes/controllers.py:10: raise "Archived"',
        'app/domain/notes/controllers.py:11: message= "Saved "',
    ]


def test_python_linter_accepts_marked_messages_and_logging() -> None:
    assert unmarked_python_messages(GOOD_MODULE, "app/domain/notes/controllers.py") == []


def test_python_linter_checks_dict_keys_only_in_controllers() -> None:
    source = 'CONTEXT = {"title": "Tend"}\n'
    assert unmarked_python_messages(source, "app/lib/pages.py") == []
    assert unmarked_python_messages(source, "app/domain/home/controllers.py") == [
        'app/domain/home/controllers.py:1: "title": "Tend"'
    ]


# --- Catalogs --------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")


def _read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale, abort_invalid=True)


def _extracted_from_sources() -> set[tuple[object, str | None]]:
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle, "babel.cfg")
    # pybabel extract starts from Babel's default keywords, then adds babel.cfg's.
    extracted = extract_from_dir(ROOT, method_map, options_map, keywords=DEFAULT_KEYWORDS)
    return {(message, context) for _, _, message, _, context in extracted}


def _ids(catalog: Catalog) -> set[tuple[object, str | None]]:
    return {(message.id, message.context) for message in catalog if message.id}


def test_template_matches_the_sources() -> None:
    in_sources = _extracted_from_sources()
    in_pot = _ids(_read_catalog(POT))
    assert in_sources == in_pot, (
        f"app/locales/messages.pot is out of date; {HOW_TO}.\n"
        f"Not in the .pot: {sorted(map(str, in_sources - in_pot))}\n"
        f"No longer in the sources: {sorted(map(str, in_pot - in_sources))}"
    )


def test_arabic_is_among_the_catalogs() -> None:
    assert {SOURCE_LOCALE, "ar"} <= set(LOCALES)


def _po(locale: str) -> Path:
    return LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po"


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_has_every_message(locale: str) -> None:
    missing = _ids(_read_catalog(POT)) - _ids(_read_catalog(_po(locale), locale))
    assert not missing, f"{locale} lacks {sorted(map(str, missing))}; {HOW_TO}."


def _placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


@pytest.mark.parametrize("locale", [locale for locale in LOCALES if locale != SOURCE_LOCALE])
def test_catalog_translates_every_message(locale: str) -> None:
    catalog = _read_catalog(_po(locale), locale)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        forms = [message.string] if isinstance(message.string, str) else list(message.string or ())
        expected = set().union(*map(_placeholders, ids))
        if message.fuzzy:
            problems.append(f"fuzzy (check it, then remove the flag): {ids[0]!r}")
        if message.pluralizable and len(forms) != catalog.num_plurals:
            problems.append(f"needs {catalog.num_plurals} plural forms: {ids[0]!r}")
        for form in forms:
            if not form:
                problems.append(f"not translated: {ids[0]!r}")
                continue
            got = _placeholders(form)
            # A plural form may spell out its number ("one note"), so %(num)d may go.
            spelled_out = message.pluralizable and got <= expected and expected - got <= {"num"}
            if got != expected and not spelled_out:
                problems.append(f"placeholders {sorted(got)}, not {sorted(expected)}: {form!r}")
    assert not problems, f"app/locales/{locale}:\n" + "\n".join(problems)


def test_arabic_has_six_plural_forms() -> None:
    catalog = _read_catalog(_po("ar"), "ar")
    assert catalog.num_plurals == 6


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_compiles(locale: str) -> None:
    buffer = io.BytesIO()
    write_mo(buffer, _read_catalog(_po(locale), locale), use_fuzzy=False)
    buffer.seek(0)
    assert Translations(buffer).gettext("Skip to content")
    assert isinstance(translations(locale), Translations)


def test_arabic_catalog_translates_at_runtime() -> None:
    text = translations("ar").gettext("Skip to content")
    assert text != "Skip to content"
    assert any("\u0600" <= character <= "\u06ff" for character in text)
