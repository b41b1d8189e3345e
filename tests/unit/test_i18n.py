"""The request's language: how it is chosen, and what gettext and templates make of it."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from app.lib import i18n
from app.lib.i18n import (
    activate,
    choose_locale,
    current_locale,
    gettext,
    language_name,
    language_tag,
    ngettext,
    text_direction,
)
from app.lib.templates import make_environment
from app.paths import LOCALES_DIR

# Languages Tend has no catalog for, in the first wave or after it.
UNSUPPORTED = "xx"


@pytest.fixture(autouse=True)
def _back_to_english() -> Iterator[None]:
    # The locale lives in a context variable that outlives a synchronous test.
    yield
    activate("en")


def _has_arabic(text: str) -> bool:
    return any("\u0600" <= character <= "\u06ff" for character in text)


# --- Choosing the language -------------------------------------------------------------


def test_cookie_beats_accept_language() -> None:
    assert choose_locale("ar", "en-GB,en;q=0.9", "en") == "ar"
    assert choose_locale("en", "ar-EG", "ar") == "en"


def test_accept_language_region_tag_matches_the_language() -> None:
    assert choose_locale(None, "ar-EG", "en") == "ar"


def test_accept_language_follows_quality_values() -> None:
    assert choose_locale(None, "en-GB;q=0.8, ar-EG", "en") == "ar"
    assert choose_locale(None, "ar-EG;q=0.5, en-GB;q=0.8", "ar") == "en"
    assert choose_locale(None, f"{UNSUPPORTED};q=0.9, ar;q=0.4", "en") == "ar"


def test_accept_language_ignores_refused_and_malformed_entries() -> None:
    assert choose_locale(None, "ar;q=0, en;q=0.1", "ar") == "en"
    assert choose_locale(None, "ar;q=high, en;q=0.1", "ar") == "en"
    assert choose_locale(None, "*", "ar") == "ar"


def test_unsupported_cookie_is_ignored() -> None:
    assert choose_locale(UNSUPPORTED, "ar", "en") == "ar"
    assert choose_locale(UNSUPPORTED, None, "ar") == "ar"


def test_falls_back_to_the_default_then_to_english() -> None:
    assert choose_locale(None, None, "ar") == "ar"
    assert choose_locale(None, f"{UNSUPPORTED}-ZZ", "ar") == "ar"
    assert choose_locale(None, "", UNSUPPORTED) == "en"
    assert choose_locale(UNSUPPORTED, UNSUPPORTED, UNSUPPORTED) == "en"


def test_english_and_arabic_are_available() -> None:
    assert {"en", "ar"} <= set(i18n.available_locales())


def test_activate_of_an_unsupported_locale_falls_back_to_english() -> None:
    activate("ar")
    activate(UNSUPPORTED)
    assert current_locale() == "en"


# --- Describing a language -------------------------------------------------------------


def test_text_direction() -> None:
    assert text_direction("ar") == "rtl"
    assert text_direction("ar_EG") == "rtl"
    assert text_direction("en") == "ltr"
    assert text_direction("zh_Hans") == "ltr"


def test_text_direction_follows_the_active_locale() -> None:
    assert text_direction() == "ltr"
    activate("ar")
    assert text_direction() == "rtl"


def test_language_tag_is_bcp_47() -> None:
    assert language_tag("zh_Hans") == "zh-Hans"
    assert language_tag("ar") == "ar"
    activate("ar")
    assert language_tag() == "ar"


def test_language_name_is_the_endonym() -> None:
    assert language_name("ar") == "العربية"
    assert language_name("en") == "English"
    assert language_name("zh_Hans") == "中文 (简体)"


# --- gettext and ngettext --------------------------------------------------------------


def test_gettext_speaks_the_active_language() -> None:
    assert gettext("Skip to content") == "Skip to content"
    activate("ar")
    assert _has_arabic(gettext("Skip to content"))


def test_gettext_fills_variables_after_translating() -> None:
    activate("ar")
    text = gettext("Language: %(name)s", name="English")
    assert _has_arabic(text)
    assert text.endswith("English")


def test_untranslated_message_falls_back_to_english() -> None:
    activate("ar")
    assert gettext("No catalog has this message") == "No catalog has this message"
    assert ngettext("%(num)d note", "%(num)d notes", 3) == "3 notes"


def _shipped_arabic_headers() -> list[tuple[str, str]]:
    with (LOCALES_DIR / "ar" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale="ar").mime_headers


def _arabic_notes() -> Translations:
    # The slots follow the Plural-Forms header of the catalog Tend ships, not the rule of
    # whichever Babel is installed (their order of the "few"/"many" forms has changed
    # between Babel releases): 0, 1, 2, 3-10, then n % 100 in 0-2 (100, 101, ...), then 11-99.
    catalog = Catalog(locale="ar")
    catalog.mime_headers = _shipped_arabic_headers()
    catalog.add(
        ("%(num)d note", "%(num)d notes"),
        (
            "لا ملاحظات",
            "ملاحظة واحدة",
            "ملاحظتان",
            "%(num)d ملاحظات",
            "%(num)d ملاحظة",
            "%(num)d ملاحظةً",
        ),
    )
    catalog.add(
        ("%(num)d note about %(name)s", "%(num)d notes about %(name)s"),
        tuple(f"{form} عن %(name)s" for form in ("0", "1", "2", "few", "hundreds", "many")),
    )
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, "لا ملاحظات"),
        (1, "ملاحظة واحدة"),
        (2, "ملاحظتان"),
        (3, "3 ملاحظات"),
        (10, "10 ملاحظات"),
        (11, "11 ملاحظةً"),
        (99, "99 ملاحظةً"),
        (100, "100 ملاحظة"),
        (102, "102 ملاحظة"),
        (103, "103 ملاحظات"),
    ],
)
def test_ngettext_uses_arabic_plural_forms(
    monkeypatch: pytest.MonkeyPatch, n: int, expected: str
) -> None:
    monkeypatch.setattr(i18n, "translations", lambda locale: _arabic_notes())
    activate("ar")
    assert ngettext("%(num)d note", "%(num)d notes", n) == expected


def test_ngettext_fills_other_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(i18n, "translations", lambda locale: _arabic_notes())
    activate("ar")
    text = ngettext("%(num)d note about %(name)s", "%(num)d notes about %(name)s", 2, name="Rami")
    assert text == "2 عن Rami"


# --- Templates -------------------------------------------------------------------------


def _render(source: str, **context: object) -> str:
    return make_environment().from_string(source).render(**context)


def test_trans_block_renders_in_the_active_language() -> None:
    source = "{% trans %}Skip to content{% endtrans %}"
    assert _render(source) == "Skip to content"
    activate("ar")
    assert _has_arabic(_render(source))


def test_trans_block_whitespace_is_trimmed_to_the_msgid() -> None:
    activate("ar")
    source = "{% trans %}\n  Skip to\n      content\n{% endtrans %}"
    assert _render(source) == gettext("Skip to content")


def test_underscore_in_templates_translates_and_escapes_variables() -> None:
    activate("ar")
    html = _render('{{ _("Language: %(name)s", name=x) }}', x="<b>English</b>")
    assert _has_arabic(html)
    assert "&lt;b&gt;English&lt;/b&gt;" in html
    assert "<b>" not in html


def test_trans_block_escapes_variables() -> None:
    activate("ar")
    html = _render("{% trans name=x %}Language: {{ name }}{% endtrans %}", x="<b>English</b>")
    assert _has_arabic(html)
    assert "&lt;b&gt;English&lt;/b&gt;" in html
    assert "<b>" not in html


def test_templates_get_the_locale_helpers() -> None:
    activate("ar")
    assert _render('<html lang="{{ language_tag() }}" dir="{{ text_direction() }}">') == (
        '<html lang="ar" dir="rtl">'
    )


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("zh-TW", "zh_Hant"),
        ("zh-HK", "zh_Hant"),
        ("zh-Hant-HK", "zh_Hant"),
        ("zh-CN", "zh_Hans"),
        ("zh", "zh_Hans"),
        ("xx-YY", "en"),
    ],
)
def test_chinese_is_matched_by_script(
    monkeypatch: pytest.MonkeyPatch, header: str, expected: str
) -> None:
    monkeypatch.setattr(i18n, "available_locales", lambda: ("ar", "en", "zh_Hans", "zh_Hant"))
    assert i18n.choose_locale(None, header, "en") == expected
