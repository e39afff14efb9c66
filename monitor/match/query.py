"""Boolean queries over an article's matches: the language of watch rules.

A query is a string::

    ("Lachin corridor" OR @place:Lachin OR "Hakari bridge") AND (blockad* OR @incident.crossing)
    @incident.hostile NEAR/s @place          # in one sentence
    drone* NEAR/8 (@place.AM OR @actor.AM)   # at most 8 words apart
    @incident NOT @exclude.sport

- a word (``blockade``), a prefix (``blockad*``, at least three letters) or a phrase in double
  quotes (``"Lachin corridor"``) is found in the text like a watchlist alias: case-insensitively,
  on word boundaries, with Russian and Armenian case endings on the last word of a Cyrillic or
  Armenian literal;
- ``@kind`` is any entry of that kind the article mentions (``place``, ``actor``, ``incident``,
  ``context``, ``exclude``); ``@kind.q`` narrows it by country or side (``@place.AM``), place kind
  (``@place.village``), role (``@incident.hostile``, ``@actor.military``), severity
  (``@incident.critical``) or exclusion group (``@exclude.sport``, ``@exclude.other-border``);
  ``@kind:Name`` is one entry by its canonical name (``@place:Jermuk``, ``@place:"Vayots Dzor"``);
- ``@name`` is an entity group defined in the watches file (``[groups]``);
- ``a AND b`` (or just ``a b``), ``a OR b``, ``NOT a``, parentheses; ``AND`` binds tighter than
  ``OR``;
- ``a NEAR/n b`` holds when an occurrence of ``a`` and one of ``b`` are at most ``n`` words apart,
  ``a NEAR/s b`` when they are in one sentence; ``a NEAR/5 b NEAR/5 c`` needs all three in one
  such window.

Entries found through the watchlist (``@...``) are what the matcher resolved: a mask, a longer
name or an exclusion that covers a word hides it (``Azerbaijan Grand Prix`` is sport, not the
actor). Literals are found wherever they stand.

``parse`` turns a string into a tree; ``Rule`` compiles the ``any``/``all``/``none``/``within``
form of a rule into the same tree; ``evaluate`` is pure: it takes the hits of one article and
returns the occurrences that satisfy the tree.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from monitor.match.normalise import TOKEN_RE

if TYPE_CHECKING:
    from monitor.match.patterns import Hit


class QueryError(ValueError):
    """A query that cannot be parsed; the message says where."""


# ---------------------------------------------------------------------------------------------
# The tree
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Literal:
    text: str  # a word, a prefix ending in '*', or a phrase


@dataclass(frozen=True, slots=True)
class Ref:
    selector: str  # "@place.AM", "@incident:shelling", "@syunik", ...


@dataclass(frozen=True, slots=True)
class Not:
    child: Node


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Near:
    children: tuple[Node, ...]
    words: int | None  # None: in one sentence


Node = Literal | Ref | Not | And | Or | Near

# ---------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<open>\()|(?P<close>\))
      | (?P<near>NEAR/(?:\d+|s)\b)
      | (?P<op>(?:AND|OR|NOT)(?=[\s()"]|$))
      | (?P<phrase>"[^"]*")
      | (?P<ref>@[\w.-]+(?::(?:"[^"]*"|[^\s()"]+))?)
      | (?P<word>[^\s()"]+)
    )""",
    re.VERBOSE,
)


class _Token(NamedTuple):
    kind: str
    value: str
    at: int


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            if text[position:].strip():
                raise QueryError(f"cannot read {text[position:].strip()[:20]!r}")
            break
        kind = match.lastgroup or ""
        tokens.append(_Token(kind, match.group(kind), match.start(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.index = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def fail(self, message: str, token: _Token | None = None) -> QueryError:
        where = f"at character {token.at + 1}" if token is not None else "at the end"
        return QueryError(f"{message} {where} of {self.text!r}")

    def parse(self) -> Node:
        if not self.tokens:
            raise QueryError("empty query")
        node = self.or_expr()
        token = self.peek()
        if token is not None:
            raise self.fail(f"unexpected {token.value!r}", token)
        if isinstance(node, Not):
            raise self.fail("a query needs at least one term that is not negated")
        return node

    def or_expr(self) -> Node:
        children = [self.and_expr()]
        while (token := self.peek()) is not None and token.value == "OR":
            self.take()
            children.append(self.and_expr())
        return children[0] if len(children) == 1 else Or(tuple(children))

    def and_expr(self) -> Node:
        children = [self.near_expr()]
        while (token := self.peek()) is not None and token.kind != "close" and token.value != "OR":
            if token.value == "AND":
                self.take()
            children.append(self.near_expr())
        if len(children) == 1:
            return children[0]
        if all(isinstance(child, Not) for child in children):
            raise self.fail("a query needs at least one term that is not negated")
        return And(tuple(children))

    def near_expr(self) -> Node:
        children = [self.unary()]
        words: int | None = None
        while (token := self.peek()) is not None and token.kind == "near":
            self.take()
            distance = token.value.split("/", 1)[1]
            this = None if distance == "s" else int(distance)
            if len(children) > 1 and this != words:
                raise self.fail("one chain of NEAR uses one distance", token)
            words = this
            children.append(self.unary())
        if len(children) == 1:
            return children[0]
        if any(isinstance(child, Not) for child in children):
            raise self.fail("NEAR cannot take a negated term")
        return Near(tuple(children), words)

    def unary(self) -> Node:
        token = self.peek()
        if token is None:
            raise self.fail("a term is missing")
        self.take()
        if token.value == "NOT":
            return Not(self.unary())
        if token.kind == "open":
            node = self.or_expr()
            close = self.peek()
            if close is None or close.kind != "close":
                raise self.fail("')' is missing", close)
            self.take()
            return node
        if token.kind == "phrase":
            phrase = " ".join(token.value[1:-1].split())
            if not phrase:
                raise self.fail("empty phrase", token)
            return Literal(phrase)
        if token.kind == "ref":
            return Ref(token.value)
        if token.kind == "word":
            return Literal(token.value)
        raise self.fail(f"unexpected {token.value!r}", token)


def parse(text: str) -> Node:
    """Parse a query string; raises ``QueryError`` saying what is wrong and where."""
    return _Parser(text).parse()


def literals(node: Node) -> set[str]:
    """Every literal word, prefix or phrase in the tree."""
    if isinstance(node, Literal):
        return {node.text}
    if isinstance(node, Ref):
        return set()
    if isinstance(node, Not):
        return literals(node.child)
    return set().union(*(literals(child) for child in node.children))


def refs(node: Node) -> set[str]:
    """Every ``@`` selector in the tree."""
    if isinstance(node, Ref):
        return {node.selector}
    if isinstance(node, Literal):
        return set()
    if isinstance(node, Not):
        return refs(node.child)
    return set().union(*(refs(child) for child in node.children))


def substitute(node: Node, groups: dict[str, Node]) -> Node:
    """Replace ``@name`` references to entity groups by the groups' trees."""
    if isinstance(node, Ref):
        return groups.get(node.selector, node)
    if isinstance(node, Literal):
        return node
    if isinstance(node, Not):
        return Not(substitute(node.child, groups))
    children = tuple(substitute(child, groups) for child in node.children)
    if isinstance(node, Near):
        return Near(children, node.words)
    return And(children) if isinstance(node, And) else Or(children)


def render(node: Node) -> str:
    """The tree as a query string (fully parenthesised where it matters)."""
    if isinstance(node, Literal):
        return f'"{node.text}"' if " " in node.text else node.text
    if isinstance(node, Ref):
        return node.selector
    if isinstance(node, Not):
        return f"NOT {_wrapped(node.child)}"
    if isinstance(node, Near):
        operator = " NEAR/s " if node.words is None else f" NEAR/{node.words} "
        return operator.join(_wrapped(child) for child in node.children)
    joiner = " AND " if isinstance(node, And) else " OR "
    return joiner.join(_wrapped(child) for child in node.children)


def _wrapped(node: Node) -> str:
    text = render(node)
    return f"({text})" if isinstance(node, And | Or | Near) else text


# ---------------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------------


class Occurrence(NamedTuple):
    """Where (part of) a query holds: a span of the text and the hits that make it."""

    start: int
    end: int
    first: int  # first sentence
    last: int  # last sentence
    hits: tuple[Hit, ...]


HitTest = Callable[["Hit"], bool]
_MAX_OCCURRENCES = 200  # per node: enough to explain, bounded on pathological texts


class Context:
    """One article's hits, and word positions computed only if a NEAR/n asks for them."""

    def __init__(self, full: str, hits: Sequence[Hit], tests: Mapping[str, HitTest]) -> None:
        self.full = full
        self.hits = hits
        self.tests = tests  # selector -> which hits it selects; literals as "=text"
        self._words: list[int] | None = None

    def select(self, key: str) -> list[Occurrence]:
        test = self.tests[key]
        seen: set[tuple[int, int]] = set()
        found = []
        for hit in self.hits:
            if test(hit) and (hit.start, hit.end) not in seen:
                seen.add((hit.start, hit.end))
                found.append(Occurrence(hit.start, hit.end, hit.sentence, hit.sentence, (hit,)))
                if len(found) >= _MAX_OCCURRENCES:
                    break
        return found

    def word_at(self, position: int) -> int:
        """How many words start before ``position``."""
        if self._words is None:
            self._words = [match.start() for match in TOKEN_RE.finditer(self.full)]
        return bisect_left(self._words, position)


def evaluate(node: Node, context: Context) -> tuple[bool, list[Occurrence]]:
    """Does the tree hold for this article, and the occurrences that make it hold."""
    if isinstance(node, Literal):
        found = context.select("=" + node.text)
        return bool(found), found
    if isinstance(node, Ref):
        found = context.select(node.selector)
        return bool(found), found
    if isinstance(node, Not):
        held, _ = evaluate(node.child, context)
        return not held, []
    if isinstance(node, Or):
        occurrences: list[Occurrence] = []
        held = False
        for child in node.children:
            child_held, found = evaluate(child, context)
            held = held or child_held
            occurrences.extend(found)
        return held, occurrences[:_MAX_OCCURRENCES]
    if isinstance(node, And):
        occurrences = []
        for child in node.children:
            child_held, found = evaluate(child, context)
            if not child_held:
                return False, []
            occurrences.extend(found)
        return True, occurrences[:_MAX_OCCURRENCES]
    groups = []
    for child in node.children:
        child_held, found = evaluate(child, context)
        if not child_held:
            return False, []
        groups.append(found)
    windows = _windows(groups, node.words, context)
    return bool(windows), windows


def _windows(
    groups: list[list[Occurrence]], words: int | None, context: Context
) -> list[Occurrence]:
    """Occurrences that take one from each group, all in one sentence or ``words`` apart.

    For each occurrence taken as the leftmost, every other group contributes its first
    occurrence that starts at or after it: that makes the narrowest window with that left edge.
    """
    tagged = sorted(
        (
            (occurrence.start, index, occurrence)
            for index, group in enumerate(groups)
            for occurrence in group
        ),
        key=lambda item: (item[0], item[1]),
    )
    found: list[Occurrence] = []
    for position, (start, index, left) in enumerate(tagged):
        chosen: dict[int, Occurrence] = {index: left}
        for _, other, occurrence in tagged[position:]:
            if other not in chosen:
                chosen[other] = occurrence
                if len(chosen) == len(groups):
                    break
        if len(chosen) < len(groups):
            break  # later left edges cannot do better
        members = list(chosen.values())
        first = min(member.first for member in members)
        last = max(member.last for member in members)
        if words is None:
            if first != last:
                continue
        else:
            right = max(member.start for member in members)
            leftmost_end = min(member.end for member in members if member.start == start)
            gap = context.word_at(right) - context.word_at(leftmost_end)
            if gap > words:
                continue
        found.append(
            Occurrence(
                start=start,
                end=max(member.end for member in members),
                first=first,
                last=last,
                hits=tuple(hit for member in members for hit in member.hits),
            )
        )
        if len(found) >= _MAX_OCCURRENCES:
            break
    return found
