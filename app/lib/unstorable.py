"""Text PostgreSQL cannot store is refused at the edge, for every route at once.

A NUL character (and a lone UTF-16 surrogate, which has no UTF-8 form) cannot be held by
a PostgreSQL `text` value: left to reach the database, it fails the statement and the
request answers 500. Nobody types one on a keyboard, so rather than a check in every
form, the query, the path and the form fields are looked at once, before the handler
runs, and the request is refused with the translated 400 (a page, or for htmx a toast
over the form, which keeps what was typed).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.exceptions import ClientException

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_FORMS = {RequestEncodingType.URL_ENCODED, RequestEncodingType.MULTI_PART}


class UnstorableText(ClientException):
    """A value holds a character Tend cannot store (answered as the 400 error page)."""

    def __init__(self) -> None:
        super().__init__(detail="unstorable character")  # i18n: not shown (the 400 page is)


def _texts(values: Iterable[Any]) -> Iterable[str]:
    return (value for value in values if isinstance(value, str))


async def refuse_unstorable_text(request: Request) -> None:
    """`before_request` hook: raise UnstorableText if any text sent holds such a character.

    Reading the form here costs nothing extra: Litestar keeps it for the handler's body.
    """
    texts = [*_texts(request.path_params.values())]
    texts += [key for key, _value in request.query_params.multi_items()]
    texts += _texts(value for _key, value in request.query_params.multi_items())
    if request.content_type[0] in _FORMS:
        try:
            form = await request.form()
        except UnicodeDecodeError as exc:  # a multipart text field that is not UTF-8
            raise UnstorableText from exc
        texts += [key for key, _value in form.multi_items()]
        texts += _texts(value for _key, value in form.multi_items())
    if any(_UNSTORABLE.search(text) for text in texts):
        raise UnstorableText
