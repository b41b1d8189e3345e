"""The elements of a rendered page, each with its attributes and ancestors, for assertions."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

# Void elements never get an end tag, so they must not stay on the ancestor stack.
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    ancestors: tuple[Element, ...] = ()
    text: list[str] = field(default_factory=list)

    def has_ancestor(self, other: Element) -> bool:
        return any(ancestor is other for ancestor in self.ancestors)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self._open: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs), tuple(self._open))
        self.elements.append(element)
        if tag not in _VOID:
            self._open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(Element(tag, dict(attrs), tuple(self._open)))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self._open) - 1, -1, -1):
            if self._open[depth].tag == tag:
                del self._open[depth:]
                return

    def handle_data(self, data: str) -> None:
        for element in self._open:
            element.text.append(data)


def parse(html: str) -> list[Element]:
    """Every element of `html` in document order."""
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector.elements


def find_all(page: str | list[Element], tag: str, **attrs: str) -> list[Element]:
    """Elements named `tag` whose attributes include `attrs` (`class_` for `class`).

    Pass one `parse()` result rather than the HTML when comparing elements of two searches:
    each parse builds new elements.
    """
    elements = parse(page) if isinstance(page, str) else page
    wanted = {name.rstrip("_").replace("_", "-"): value for name, value in attrs.items()}
    return [
        element
        for element in elements
        if element.tag == tag and all(element.attrs.get(k) == v for k, v in wanted.items())
    ]
