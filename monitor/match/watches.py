"""Watches: what to flag, read from TOML. Each is a ``[watch.NAME]`` table.

A watch scores an article with its *scorer* and its *rules*, and flags it when the score reaches
its ``threshold``::

    [watch.lachin-corridor]
    title = "Lachin corridor and Hakari bridge: closures and checkpoints"
    scorer = "rules"              # "border" (the co-occurrence score of rules.py) or "rules"
    threshold = 2.0

    [[watch.lachin-corridor.rule]]
    name = "closure on the corridor"
    any = ['"Lachin corridor"', '"Hakari bridge"', "@place:Lachin"]
    all = ["blockad* OR closed OR @incident.crossing"]
    none = ["@exclude.sport"]
    within = "sentence"           # or a number of words; by default the whole article
    weight = 2.0
    severity = "medium"

    [[watch.lachin-corridor.rule]]
    query = '"Lachin corridor" NEAR/10 (reopen* OR convoy*)'
    weight = 1.0

A rule gives either ``query`` (the language of ``query.py``) or ``any``/``all``/``none`` lists of
queries (at least one of each ``any`` item, every ``all`` item, no ``none`` item; ``within`` puts
the positive ones in one sentence or window of words). ``where`` limits what the rule looks at to
the ``title`` or the ``lead`` (the title and the watch's first ``lead_sentences`` sentences).
When a rule holds, its ``weight`` (default 1; negative to hold an article back) is added to the
score and its ``severity`` (optional) is the least severity of the flag.

The ``border`` scorer takes the parameters documented in ``rules.py`` (``threshold``,
``title_factor``, ...); a ``border`` watch may also have rules, which add their weights to the
co-occurrence score and raise the severity. A ``rules`` watch scores by its rules alone; its
severity is the gravest severity among the rules that held, ``low`` if none sets one.

Entity groups, for use in any query as ``@name``, are one top-level table::

    [groups]
    syunik-border = ["@place:Goris", "@place:Kapan", "@place:Sisian", '"Vorotan"']
    lachin-road = '"Lachin corridor" OR "Lachin road" OR "Hakari bridge"'
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from monitor.match.query import (
    And,
    HitTest,
    Near,
    Node,
    Not,
    Or,
    QueryError,
    literals,
    parse,
    refs,
    render,
    substitute,
)
from monitor.match.reader import Reader, WatchlistError
from monitor.models import SEVERITIES

SCORERS = ("border", "rules")
WHERE = ("article", "title", "lead")
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_KINDS = ("place", "actor", "incident", "context", "exclude")


@dataclass(frozen=True, slots=True)
class QueryRule:
    """One rule of a watch: a query, and what it adds when it holds."""

    name: str
    query: str  # the query as a string (rendered from any/all/none when given that way)
    tree: Node
    weight: float = 1.0
    severity: str = ""  # "" sets none
    where: str = "article"  # "article", "title" or "lead"
    key: str = ""  # where it is in the file, e.g. "watch.lachin.rule[0]"


@dataclass(frozen=True, slots=True)
class Watch:
    """One watch: its name, its scorer and the parameters of the scoring rule (``rules.py``)."""

    name: str
    title: str = ""
    scorer: str = "border"
    threshold: float = 6.0  # score at or above which an article is flagged
    title_factor: float = 1.5  # evidence found in the title counts this much more
    neighbour_factor: float = 0.5  # an anchor in the next or previous sentence counts this much
    anchor_cap: float = 8.0  # most that the places and actors of one window can add up to
    context_step: float = 0.25  # boost per unit of context weight in a window ...
    context_cap: float = 0.5  # ... up to this much (0.5 = evidence x 1.5)
    scattered_factor: float = 0.15  # incidents and anchors that never meet count this little
    exclude_cap: float = 10.0  # most that exclusion contexts can subtract
    strong_evidence: float = 12.0  # one sentence this strong cancels the exclusion penalty
    lead_sentences: int = 3  # deaths here (or in the title) make the severity critical
    casualty_factor: float = 0.25  # casualty words without a hostile cause count this much
    topic_factor: float = 0.1  # evidence counts this much under a headline topic
    rules: tuple[QueryRule, ...] = ()
    source: str = ""  # the file it is defined in


_PARAMETERS = {
    f.name: f for f in fields(Watch) if f.name not in ("name", "scorer", "rules", "title", "source")
}
_WATCH_KEYS = frozenset({"title", "scorer", "rule", *_PARAMETERS})
_RULE_KEYS = frozenset(
    {"name", "query", "any", "all", "none", "within", "where", "weight", "severity"}
)


def read_watches(reader: Reader, value: object) -> tuple[Watch, ...]:
    """The ``[watch.NAME]`` tables of one file (none is fine: another file may have them)."""
    if value is None:
        return ()
    watches = reader.table(value, "watch")
    result: list[Watch] = []
    for name, body in watches.items():
        key = f"watch.{name}"
        if not _NAME_RE.match(name):
            raise reader.fail(key, "a watch name uses lower-case letters, digits and '-'")
        table = reader.table(body, key)
        reader.check_keys(table, _WATCH_KEYS, key)
        values: dict[str, Any] = {}
        if "title" in table:
            values["title"] = reader.text(table, "title", key)
        rules = _read_rules(reader, table.get("rule", []), key)
        scorer = reader.choice(table, "scorer", key, SCORERS, "rules" if rules else "border")
        if scorer == "rules":
            if not rules:
                raise reader.fail(key, "a watch with scorer = 'rules' needs [[...rule]] tables")
            values["threshold"] = 1.0
            border_only = sorted(set(table) & (set(_PARAMETERS) - {"threshold"}))
            if border_only:
                raise reader.fail(
                    f"{key}.{border_only[0]}", "only a watch with scorer = 'border' takes this"
                )
        for field_name, spec in _PARAMETERS.items():
            if field_name not in table:
                continue
            number = reader.number(table, field_name, key)
            if spec.type == "int":
                if number != int(number) or number < 0:
                    raise reader.fail(f"{key}.{field_name}", "expected a whole number >= 0")
                values[field_name] = int(number)
            else:
                if number < 0:
                    raise reader.fail(f"{key}.{field_name}", "expected a number >= 0")
                values[field_name] = number
        watch = Watch(name=name, source=reader.source)
        result.append(replace(watch, scorer=scorer, rules=rules, **values))
    return tuple(result)


def _read_rules(reader: Reader, value: object, watch_key: str) -> tuple[QueryRule, ...]:
    if not isinstance(value, list):
        raise reader.fail(f"{watch_key}.rule", "expected an array of tables ([[...rule]])")
    rules = []
    for index, item in enumerate(value):
        key = f"{watch_key}.rule[{index}]"
        table = reader.table(item, key)
        reader.check_keys(table, _RULE_KEYS, key)
        tree = _rule_tree(reader, table, key)
        weight = reader.number(table, "weight", key, 1.0)
        severity = ""
        if "severity" in table:
            severity = reader.choice(table, "severity", key, SEVERITIES[1:])
        rules.append(
            QueryRule(
                name=reader.text(table, "name", key, f"rule {index + 1}"),
                query=render(tree),
                tree=tree,
                weight=weight,
                severity=severity,
                where=reader.choice(table, "where", key, WHERE, "article"),
                key=key,
            )
        )
    return tuple(rules)


def _rule_tree(reader: Reader, table: Mapping[str, object], key: str) -> Node:
    lists = [name for name in ("any", "all", "none") if name in table]
    if "query" in table:
        if lists or "within" in table:
            raise reader.fail(key, "give either 'query' or 'any'/'all'/'none', not both")
        return _parsed(reader, reader.text(table, "query", key), f"{key}.query")
    if not ({"any", "all"} & set(lists)):
        raise reader.fail(key, "a rule needs 'query', or 'any' or 'all' (with optional 'none')")
    positive: list[Node] = []
    if "any" in table:
        options = [
            _parsed(reader, text, f"{key}.any") for text in reader.strings(table, "any", key)
        ]
        if not options:
            raise reader.fail(f"{key}.any", "expected at least one query")
        positive.append(options[0] if len(options) == 1 else Or(tuple(options)))
    positive += [_parsed(reader, text, f"{key}.all") for text in reader.strings(table, "all", key)]
    if not positive:
        raise reader.fail(f"{key}.all", "expected at least one query")
    within = table.get("within", "article")
    if within == "article":
        node: Node = positive[0] if len(positive) == 1 else And(tuple(positive))
    elif within == "sentence" or (
        isinstance(within, int) and not isinstance(within, bool) and within >= 0
    ):
        if len(positive) == 1:
            raise reader.fail(f"{key}.within", "needs two or more queries (any plus all)")
        if any(isinstance(part, Not) for part in positive):
            raise reader.fail(f"{key}.within", "cannot take a negated query")
        node = Near(tuple(positive), None if within == "sentence" else int(within))
    else:
        raise reader.fail(
            f"{key}.within", "expected 'article', 'sentence' or a whole number of words"
        )
    negative = [
        Not(_parsed(reader, text, f"{key}.none")) for text in reader.strings(table, "none", key)
    ]
    return And((node, *negative)) if negative else node


def _parsed(reader: Reader, text: str, key: str) -> Node:
    try:
        return parse(text)
    except QueryError as exc:
        raise reader.fail(key, str(exc)) from exc


def read_groups(reader: Reader, value: object) -> dict[str, tuple[str, Node]]:
    """The ``[groups]`` table: name -> (where it is, its tree)."""
    if value is None:
        return {}
    groups: dict[str, tuple[str, Node]] = {}
    for name, body in reader.table(value, "groups").items():
        key = f"groups.{name}"
        if not _NAME_RE.match(name) or name in _KINDS:
            raise reader.fail(
                key, "a group name uses lower-case letters, digits and '-', and is not a kind"
            )
        texts = [body] if isinstance(body, str) else body
        if not isinstance(texts, list) or not texts:
            raise reader.fail(key, "expected a query or a non-empty list of queries")
        options = []
        for text in texts:
            if not isinstance(text, str) or not text.strip():
                raise reader.fail(key, "expected a query or a non-empty list of queries")
            options.append(_parsed(reader, text, key))
        groups[name] = (key, options[0] if len(options) == 1 else Or(tuple(options)))
    return groups


# ---------------------------------------------------------------------------------------------
# Resolving selectors against the watchlist's entries
# ---------------------------------------------------------------------------------------------


class EntryFacts:
    """What selectors can ask about the entries: names, qualifiers, by kind."""

    def __init__(self, entries: Iterable[Any]) -> None:
        self.names: dict[str, set[str]] = {kind: set() for kind in _KINDS}
        self.qualifiers: dict[str, set[str]] = {kind: set() for kind in _KINDS}
        for entry in entries:
            if entry.kind not in self.names:
                continue
            self.names[entry.kind].add(entry.name.casefold())
            self.qualifiers[entry.kind].update(_qualifiers(entry))


def _qualifiers(entry: Any) -> set[str]:
    found = {entry.role, entry.side, entry.severity, entry.group.replace(" ", "-")}
    if entry.place is not None:
        found |= {entry.place.country, entry.place.kind}
    return {value.casefold() for value in found if value}


def expand_groups(tree: Node, groups: dict[str, tuple[str, Node]]) -> Node:
    """``tree`` with every ``@group`` replaced by its definition (groups may use groups).

    ``groups`` maps a name to (where it is defined, as "file: groups.name", its tree).
    """
    resolved: dict[str, Node] = {}

    def resolve(name: str, trail: tuple[str, ...]) -> Node:
        if name in trail:
            cycle = " -> ".join((*trail, name))
            raise WatchlistError(f"{groups[name][0]}: a group uses itself ({cycle})")
        if name not in resolved:
            inner = groups[name][1]
            wanted = {ref[1:] for ref in refs(inner)} & groups.keys()
            table = {f"@{other}": resolve(other, (*trail, name)) for other in wanted}
            resolved[name] = substitute(inner, table)
        return resolved[name]

    wanted = {ref[1:] for ref in refs(tree)} & groups.keys()
    return substitute(tree, {f"@{name}": resolve(name, ()) for name in wanted})


def selector_test(selector: str, facts: EntryFacts, groups: Iterable[str] = ()) -> HitTest:
    """Which hits ``@kind``, ``@kind.qualifier`` or ``@kind:Name`` selects.

    Raises ``ValueError`` with a message for a kind, qualifier or name the watchlist lacks.
    """
    body = selector[1:]
    name = ""
    if ":" in body:
        body, name = body.split(":", 1)
        name = name.strip('"').casefold()
    kind, _, qualifier = body.partition(".")
    qualifier = qualifier.casefold()
    if kind not in _KINDS:
        close = difflib.get_close_matches(kind, [*_KINDS, *groups], n=1)
        hint = f"did you mean @{close[0]}?" if close else f"kinds: {', '.join(_KINDS)}"
        raise ValueError(f"{selector}: no entity group or kind {kind!r} ({hint})")
    if name:
        if qualifier:
            raise ValueError(f"{selector}: give a qualifier or a name, not both")
        if name not in facts.names[kind]:
            raise ValueError(f"{selector}: the watchlist has no {kind} named {name!r}")
        return lambda hit: hit.term.kind == kind and hit.term.canonical.casefold() == name
    if qualifier:
        if qualifier not in facts.qualifiers[kind]:
            known = ", ".join(sorted(facts.qualifiers[kind])) or "none"
            raise ValueError(f"{selector}: no {kind} has {qualifier!r} (known: {known})")
        return lambda hit: hit.term.kind == kind and qualifier in _qualifiers(hit.term.entry)
    return lambda hit: hit.term.kind == kind


def rule_literals(watches: Iterable[Watch], groups: dict[str, tuple[str, Node]]) -> set[str]:
    """Every literal that the rules and groups look for in the text."""
    found: set[str] = set()
    for watch in watches:
        for rule in watch.rules:
            found |= literals(rule.tree)
    for _, tree in groups.values():
        found |= literals(tree)
    return found
