"""Reading a rendered page the way a user agent does: elements, their attributes and
their text, without regular expressions over markup."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""
    children: list[Element] = field(default_factory=list)

    def attr(self, name: str) -> str | None:
        return self.attrs.get(name)


class _Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#root", {})
        self.stack = [self.root]
        self.all: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v if v is not None else "" for k, v in attrs})
        self.stack[-1].children.append(element)
        self.all.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        for element in self.stack[1:]:
            element.text += data


@dataclass
class Page:
    elements: list[Element]

    def all(self, tag: str, **attrs: str) -> list[Element]:
        """Elements of `tag` ("*" for any) whose attributes include `attrs` (a
        trailing underscore is dropped: class_="x")."""
        wanted = {k.rstrip("_").replace("_", "-"): v for k, v in attrs.items()}
        return [
            e
            for e in self.elements
            if (tag == "*" or e.tag == tag) and all(e.attrs.get(k) == v for k, v in wanted.items())
        ]

    def one(self, tag: str, **attrs: str) -> Element:
        found = self.all(tag, **attrs)
        assert len(found) == 1, (tag, attrs, len(found))
        return found[0]

    def by_id(self, element_id: str) -> Element:
        return self.one("*", id=element_id)

    def texts(self, tag: str) -> list[str]:
        return [" ".join(e.text.split()) for e in self.all(tag)]


def parse(content: bytes | str) -> Page:
    tree = _Tree()
    tree.feed(content.decode() if isinstance(content, bytes) else content)
    return Page(tree.all)
