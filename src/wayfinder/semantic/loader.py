"""Reading and layering catalog files: built-in defaults <- ``firm.toml`` <-
``workspaces/<ws>.toml``, validated on load with errors naming the file, the entry and the problem.

Each later file may add names, replace an earlier definition (any definition key given replaces
the whole definition), change its description or format, and add synonyms (synonyms merge; a
phrase a later file points elsewhere moves there). An entry a file marks ``locked = true`` -- and
every goal and metric it is computed from -- cannot be redefined by a later file; synonyms may
still be added.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from wayfinder.errors import ConfigError
from wayfinder.semantic.definitions import METADATA_KEYS, NAME, Goal, Metric
from wayfinder.semantic.synonyms import ENTRY_KINDS, Index, Name, Synonym

BUILTIN = "built-in defaults (wayfinder/semantic/defaults.toml)"
SECTIONS = {"goals": "goal", "metrics": "metric"}
MODELS: dict[str, type[Goal] | type[Metric]] = {"goal": Goal, "metric": Metric}


@dataclass
class Layer:
    """One parsed file and how errors name it."""

    label: str
    data: dict[str, Any]


@dataclass
class Entry:
    """A goal or metric with where it came from."""

    kind: str
    model: Goal | Metric
    raw: dict[str, Any]
    defined_in: str
    changed_in: list[str] = field(default_factory=list)
    locked_in: str | None = None

    @property
    def name(self) -> str:
        return self.model.name


@dataclass
class Merged:
    """Every layer folded into one: entries by kind and name, the word index, the files read."""

    entries: dict[str, dict[str, Entry]] = field(
        default_factory=lambda: {kind: {} for kind in ENTRY_KINDS}
    )
    index: Index = field(default_factory=Index)
    files: list[str] = field(default_factory=list)


def builtin_layer() -> Layer:
    text = resources.files("wayfinder.semantic").joinpath("defaults.toml").read_text("utf-8")
    return Layer(BUILTIN, parse_toml(text, BUILTIN))


def file_layer(path: Path) -> Layer | None:
    """The layer of a file, or None when it does not exist (every file is optional)."""
    if not path.is_file():
        return None
    return Layer(str(path), parse_toml(path.read_text(encoding="utf-8"), str(path)))


def parse_toml(text: str, label: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{label}: not valid TOML", value=exc) from exc


def merge(layers: list[Layer]) -> Merged:
    merged = Merged()
    for layer in layers:
        _apply(merged, layer)
        merged.files.append(layer.label)
    _check_references(merged)
    return merged


# -- one layer -------------------------------------------------------------------------------
def _apply(merged: Merged, layer: Layer) -> None:
    unknown = set(layer.data) - {*SECTIONS, "synonyms"}
    if unknown:
        raise ConfigError(
            f"{layer.label}: unknown section {sorted(unknown)[0]!r}",
            hint="sections are [goals.<name>], [metrics.<name>] and [synonyms]",
        )
    locks = _locks(merged)
    phrases: dict[str, Synonym] = {}
    for section, kind in SECTIONS.items():
        table = layer.data.get(section, {})
        if not isinstance(table, dict):
            raise ConfigError(f"{layer.label}: {section} must be a table of [{section}.<name>]")
        for name, raw in table.items():
            if isinstance(raw, dict) and isinstance(raw.get("synonyms"), str):
                raw = {**raw, "synonyms": [raw["synonyms"]]}
            entry = _entry(merged, layer, kind, name, raw, locks)
            merged.entries[kind][name] = entry
            for phrase in raw.get("synonyms", ()):
                _add_phrase(phrases, Synonym(phrase, kind, name, layer.label), layer.label)
    for synonym in _synonym_section(layer):
        _add_phrase(phrases, synonym, layer.label)
    merged.index.synonyms.update(phrases)


def _entry(
    merged: Merged, layer: Layer, kind: str, name: str, raw: Any, locks: dict[str, tuple[str, str]]
) -> Entry:
    where = f"{layer.label}: {kind}s.{name}"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be a table of keys")
    if not NAME.match(name):
        raise ConfigError(
            f"{where}: not a valid name", hint="lower-case letters, digits and _, from a letter"
        )
    other = "metric" if kind == "goal" else "goal"
    if name in merged.entries[other]:
        raise ConfigError(
            f"{where}: the name is already a {other}",
            hint=f"defined in {merged.entries[other][name].defined_in}; pick another name",
        )
    existing = merged.entries[kind].get(name)
    redefines = set(raw) - METADATA_KEYS
    if existing is None:
        merged_raw, defined_in, changed_in = dict(raw), layer.label, []
    else:
        changed = redefines or any(
            k in raw and raw[k] != existing.raw.get(k) for k in METADATA_KEYS - {"synonyms"}
        )
        if name in locks and changed:
            locker, locked_in = locks[name]
            via = "" if locker == f"{kind} {name!r}" else f", which {locker} is computed from"
            raise ConfigError(
                f"{where}: changes the {kind} {name!r}{via}, locked in {locked_in}",
                hint="a workspace may add synonyms to a locked entry; ask the central team to "
                "change the central file",
            )
        base = {k: v for k, v in existing.raw.items() if k in METADATA_KEYS or not redefines}
        merged_raw = base | {k: v for k, v in raw.items() if k != "synonyms"}
        merged_raw["synonyms"] = list(
            dict.fromkeys([*existing.raw.get("synonyms", []), *raw.get("synonyms", [])])
        )
        defined_in = layer.label if redefines else existing.defined_in
        changed_in = [*existing.changed_in, layer.label]
    model = _model(kind, name, merged_raw, where)
    if problems := model.definition.problems():
        raise ConfigError(f"{where}: {'; '.join(problems)}")
    locked_in = existing.locked_in if existing else None
    if raw.get("locked") is True:
        locked_in = layer.label
    elif not model.locked:
        locked_in = None
    return Entry(kind, model, merged_raw, defined_in, changed_in, locked_in)


def _model(kind: str, name: str, raw: dict[str, Any], where: str) -> Goal | Metric:
    try:
        return MODELS[kind].model_validate({**raw, "name": name})
    except ValidationError as exc:
        raise ConfigError(f"{where}: {_explain(exc)}") from None


def _explain(exc: ValidationError) -> str:
    """Pydantic's errors in the terms of the flat TOML the user wrote."""
    parts = []
    for error in exc.errors():
        loc = [str(p) for p in error["loc"]]
        if loc[:1] == ["definition"]:
            loc = loc[2:]  # the lifted definition and its kind tag are not in the file
        msg = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            msg = "unknown key"
        parts.append(f"{'.'.join(loc)}: {msg}" if loc else msg)
    return "; ".join(parts)


def _synonym_section(layer: Layer) -> list[Synonym]:
    """``[synonyms]``: ``"phrase" = "goal or metric"``; ``[synonyms.<kind>]`` for other names."""
    section = layer.data.get("synonyms", {})
    if not isinstance(section, dict):
        raise ConfigError(f"{layer.label}: synonyms must be a table of phrase = name")
    found = []
    for phrase, target in section.items():
        if isinstance(target, str):
            found.append(Synonym(phrase, None, target, layer.label))
        elif isinstance(target, dict):
            if not NAME.match(phrase):
                raise ConfigError(f"{layer.label}: synonyms.{phrase}: not a valid kind name")
            for sub_phrase, sub_target in target.items():
                if not isinstance(sub_target, str):
                    raise ConfigError(
                        f"{layer.label}: synonyms.{phrase}.{sub_phrase}: must be a name (text)"
                    )
                found.append(Synonym(sub_phrase, phrase, sub_target, layer.label))
        else:
            raise ConfigError(f"{layer.label}: synonyms.{phrase}: must be a name (text)")
    return found


def _add_phrase(phrases: dict[str, Synonym], synonym: Synonym, label: str) -> None:
    key = synonym.key
    if not key:
        raise ConfigError(f"{label}: synonym {synonym.phrase!r} has no letters or digits")
    known = phrases.get(key)
    if known is not None and known.target != synonym.target:
        raise ConfigError(
            f"{label}: the synonym {synonym.phrase!r} points at two names: "
            f"{known.target!r} and {synonym.target!r}",
            hint="a phrase may mean one thing; remove one of them",
        )
    if known is None:
        phrases[key] = synonym


def _locks(merged: Merged) -> dict[str, tuple[str, str]]:
    """Names a new layer may not redefine -> (the locked entry, its file)."""
    locked = [
        entry
        for kind in ENTRY_KINDS
        for entry in merged.entries[kind].values()
        if entry.locked_in is not None
    ]
    # An entry's own lock is named first; then what locked entries are computed from.
    locks = {e.name: (f"{e.kind} {e.name!r}", e.locked_in) for e in locked}
    for entry in locked:
        seen: set[str] = set()
        todo = list(entry.model.references())
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                locks.setdefault(name, (f"the {entry.kind} {entry.name!r}", entry.locked_in))
                todo.extend(_references(merged, name))
    return locks


def _references(merged: Merged, name: str) -> tuple[str, ...]:
    for kind in ENTRY_KINDS:
        if name in merged.entries[kind]:
            return merged.entries[kind][name].model.references()
    return ()


# -- the whole -------------------------------------------------------------------------------
def _check_references(merged: Merged) -> None:
    goals, metrics = merged.entries["goal"], merged.entries["metric"]
    for entry in goals.values():
        for ref in entry.model.references():
            if ref not in goals:
                _unknown(entry, "goal", ref, goals)
    for entry in metrics.values():
        wanted, known = (
            ("metric", metrics)
            if entry.model.definition.kind == "ratio"
            else (
                "goal",
                goals,
            )
        )
        for ref in entry.model.references():
            if ref not in known:
                _unknown(entry, wanted, ref, known)
    for kind, entries in (("goal", goals), ("metric", metrics)):
        for entry in entries.values():
            _check_cycle(merged, entry, kind)
    _index(merged)


def _unknown(entry: Entry, kind: str, ref: str, known: dict[str, Entry]) -> None:
    raise ConfigError(
        f"{entry.defined_in}: {entry.kind}s.{entry.name}: unknown {kind} {ref!r}",
        hint=f"{kind}s: {', '.join(sorted(known))}",
    )


def _check_cycle(merged: Merged, entry: Entry, kind: str) -> None:
    path, todo = [], [(entry.name, 0)]
    while todo:
        name, depth = todo.pop()
        del path[depth:]
        if name in path:
            cycle = " -> ".join([*path[path.index(name) :], name])
            raise ConfigError(f"{entry.defined_in}: {kind}s.{entry.name}: circular: {cycle}")
        path.append(name)
        refs = merged.entries[kind][name].model.references() if name in merged.entries[kind] else ()
        if kind == "metric" and merged.entries[kind][name].model.definition.kind != "ratio":
            refs = ()
        todo.extend((ref, depth + 1) for ref in refs)


def _index(merged: Merged) -> None:
    """Register canonical names, type the untyped synonyms and check nothing clashes."""
    index = merged.index
    for kind in ENTRY_KINDS:
        for entry in merged.entries[kind].values():
            if clash := index.add_name(Name(kind, entry.name, entry.defined_in)):
                raise ConfigError(
                    f"{entry.defined_in}: {kind}s.{entry.name}: reads the same as the "
                    f"{clash.kind} {clash.name!r} ({clash.file})",
                    hint="names are compared ignoring case, spaces and punctuation",
                )
    typed: dict[str, Synonym] = {}
    for key, synonym in index.synonyms.items():
        kind = synonym.kind
        if kind is None:
            kind = next((k for k in ENTRY_KINDS if synonym.target in merged.entries[k]), None)
            if kind is None:
                raise ConfigError(
                    f"{synonym.file}: synonyms: {synonym.phrase!r} points at an unknown goal or "
                    f"metric {synonym.target!r}",
                    hint="use [synonyms.<kind>] for names of another kind (channel, ...)",
                )
        elif kind in ENTRY_KINDS and synonym.target not in merged.entries[kind]:
            raise ConfigError(
                f"{synonym.file}: synonyms.{kind}: {synonym.phrase!r} points at an unknown "
                f"{kind} {synonym.target!r}"
            )
        typed[key] = Synonym(synonym.phrase, kind, synonym.target, synonym.file)
    for synonym in typed.values():
        if synonym.kind not in ENTRY_KINDS:
            clash = index.add_name(Name(synonym.kind, synonym.target, synonym.file))
            if clash is not None:
                raise ConfigError(
                    f"{synonym.file}: synonyms.{synonym.kind}: the {synonym.kind} "
                    f"{synonym.target!r} reads the same as the {clash.kind} {clash.name!r}"
                )
    for key, synonym in typed.items():
        name = index.names.get(key)
        if name is not None and (name.kind, name.name) != (synonym.kind, synonym.target):
            raise ConfigError(
                f"{synonym.file}: the synonym {synonym.phrase!r} of the {synonym.kind} "
                f"{synonym.target!r} is the name of the {name.kind} {name.name!r}",
                hint="a phrase may mean one thing; remove the synonym",
            )
    index.synonyms = typed
