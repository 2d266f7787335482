"""What plugins need from each other, and an order of each stage that gives it to them.

A plugin declares, per stage, what its hook `needs`, what it `reads` if someone provides it, and what
it `provides` (`etl_contract`). A name is one of:

- a table, ``"entities"``: its rows (an extract plugin that adds rows provides it);
- a column, ``"entities.entity_id"``: the values of one column (an enrich plugin that fills or rewrites
  it provides it; each column has at most one such writer);
- anything else, ``"nlp"``, ``"copy_groups"``: a capability (the shared parse on ``document.nlp``, a
  service other plugins call through ``run.service(name)``).

A need of ``"t.c"`` is met by a provider of the column, else by a provider of the table's rows; the host
provides ``articles`` and ``segments`` (with every column) in parse and clean. A need is met only by a
plugin that runs before: in an earlier stage, or earlier in the same stage. `plan_stage` derives that
order from the declarations when the config gives none, and `check_plans` refuses, before anything runs,
a set of plans in which a need is not met, naming the plugin, what it needs and who could provide it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .errors import ContractError

STAGE_ORDER = ("parse", "clean", "extract", "enrich", "load")
#: What the host itself provides, before any plugin: the parsed documents and their blocks.
HOST_PROVIDES = ("articles", "segments", "errors", "runs")


@dataclass(frozen=True)
class Contract:
    """One plugin's declared relations in one stage (see the module's doc for the names)."""

    needs: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()
    provides: tuple[str, ...] = ()
    #: Enrich only: the plugin can bring what it provides up to date from the changes since the last run
    #: (`etl.Changes`) instead of recomputing it over the whole corpus. See `etl_enrich`.
    incremental: bool = False

    def __post_init__(self) -> None:
        for name in ("needs", "reads", "provides"):
            value = getattr(self, name)
            if isinstance(value, str):  # needs="nlp" is a one-name list, not three letters
                value = (value,)
            object.__setattr__(self, name, tuple(value))
        if not isinstance(self.incremental, bool):
            raise ContractError(f"a contract's incremental is True or False, not {self.incremental!r}")

    @classmethod
    def of(cls, value: Contract | Mapping[str, Iterable[str]]) -> Contract:
        """A `Contract`, or a mapping with the same keys (`{"needs": ["nlp"]}`)."""
        if isinstance(value, Contract):
            return value
        if isinstance(value, Mapping):
            unknown = set(value) - {"needs", "reads", "provides", "incremental"}
            if unknown:
                raise ContractError(f"unknown contract key {', '.join(sorted(unknown))}; keys: needs, reads, "
                                    f"provides, incremental")
            return cls(**{key: names if key == "incremental" else tuple(names) for key, names in value.items()})
        raise ContractError(f"a contract is an etl.Contract or a mapping, not {type(value).__name__}")

    @property
    def inputs(self) -> tuple[str, ...]:
        return self.needs + self.reads


@dataclass(frozen=True)
class Names:
    """What a name refers to: the columns of each table, and the columns some plugin declares it writes."""

    columns: Mapping[str, frozenset[str]]
    written: frozenset[str] = frozenset()

    def providers(self, name: str, contracts: Mapping[str, Contract]) -> list[str]:
        """The plugins among `contracts` (plugin -> contract, in run order) whose provisions meet `name`.

        A column with a declared writer is met only by that writer; any other column of a table by the
        plugins that provide the table's rows; a capability or table by the plugins that name it.
        """
        direct = [plugin for plugin, contract in contracts.items() if name in contract.provides]
        if direct or "." not in name or name in self.written:
            return direct
        table, column = name.split(".", 1)
        if column not in self.columns.get(table, ()):
            return []
        return [plugin for plugin, contract in contracts.items() if table in contract.provides]


def plan_stage(steps: Sequence[str], contracts: Mapping[str, Contract], names: Names) -> list[str]:
    """`steps` (the default order) reordered as little as possible so that providers come first.

    A stable topological sort: each plugin stays where it was unless something it needs or reads is
    provided by a plugin after it. A cycle is left for `check_plans` to report.
    """
    remaining = list(steps)
    ordered: list[str] = []
    while remaining:
        for plugin in remaining:
            inputs = contracts.get(plugin, Contract()).inputs
            pending = {q: contracts.get(q, Contract()) for q in remaining}
            waiting = {p for name in inputs for p in names.providers(name, pending) if p != plugin}
            if not waiting:
                ordered.append(plugin)
                remaining.remove(plugin)
                break
        else:  # a cycle: keep the given order and let the check name it
            ordered.extend(remaining)
            break
    return ordered


@dataclass(frozen=True)
class Declared:
    """Every plugin's contracts: stage -> plugin -> contract, for plugins that declared one."""

    by_stage: Mapping[str, Mapping[str, Contract]]

    def get(self, stage: str, plugin: str) -> Contract:
        return self.by_stage.get(stage, {}).get(plugin, Contract())

    def in_plan(self, stage: str, plan: Sequence[str]) -> dict[str, Contract]:
        return {plugin: self.get(stage, plugin) for plugin in plan}

    def names(self, tables: Mapping[str, Iterable[str]]) -> Names:
        """`Names` over `tables` (name -> column names) and every column any plugin declares it writes."""
        written = {name for contracts in self.by_stage.values() for contract in contracts.values()
                   for name in contract.provides if "." in name}
        return Names({table: frozenset(columns) for table, columns in tables.items()}, frozenset(written))


def check_plans(plans: Mapping[str, Sequence[str]], declared: Declared, names: Names) -> None:
    """Raise `ContractError` for the first need that the plans do not meet, or a column written twice."""
    _check_single_writers(plans, declared)
    done: dict[str, Contract] = {"(host)": Contract(provides=HOST_PROVIDES)}
    for stage in STAGE_ORDER:
        plan = list(plans.get(stage, ()))
        current = declared.in_plan(stage, plan)
        for index, plugin in enumerate(plan):
            contract = current[plugin]
            before = dict(done, **{p: current[p] for p in plan[:index]})
            for name in contract.needs:
                if names.providers(name, before):
                    continue
                raise ContractError(_unmet(stage, plugin, name, plans, declared, names, plan[index + 1:]))
            for name in contract.reads:
                later = [p for p in names.providers(name, {q: current[q] for q in plan[index + 1:]}) if p != plugin]
                if later and not names.providers(name, before):
                    raise ContractError(
                        f"plugin {plugin!r} reads {name!r} in {stage}, which {later[0]!r} provides after it: "
                        f"put {later[0]!r} before {plugin!r} in [stages] {stage} (or leave [stages] {stage} "
                        f"out to let the host order it)")
        done.update({f"{stage}:{p}": c for p, c in current.items()})


def _check_single_writers(plans: Mapping[str, Sequence[str]], declared: Declared) -> None:
    writers: dict[str, str] = {}
    for stage in STAGE_ORDER:
        for plugin in plans.get(stage, ()):
            for name in declared.get(stage, plugin).provides:
                if "." not in name:
                    continue
                if writers.setdefault(name, plugin) != plugin:
                    raise ContractError(
                        f"column {name!r} is written by both {writers[name]!r} and {plugin!r}; a column has one "
                        f"writer: disable one of them under [stages] disable")


def _unmet(stage: str, plugin: str, name: str, plans: Mapping[str, Sequence[str]], declared: Declared,
           names: Names, later_in_stage: Sequence[str]) -> str:
    what = f"plugin {plugin!r} needs {name!r} in {stage}"
    later = names.providers(name, declared.in_plan(stage, later_in_stage))
    if later:
        return (f"{what}, which {later[0]!r} provides after it: put {later[0]!r} before {plugin!r} in "
                f"[stages] {stage} (or leave [stages] {stage} out to let the host order it)")
    later_stages = STAGE_ORDER[STAGE_ORDER.index(stage) + 1:]
    for other in later_stages:
        found = names.providers(name, declared.in_plan(other, plans.get(other, ())))
        if found:
            return f"{what}, but {found[0]!r} provides it only in {other}, which runs later"
    idle = sorted({p for contracts in declared.by_stage.values() for p in names.providers(name, contracts)})
    if idle:
        return (f"{what}, which no enabled plugin provides; {', '.join(map(repr, idle))} would, but is "
                f"disabled or not in [stages]: enable it, or disable {plugin!r} too")
    return f"{what}, which no installed plugin provides; install one that does, or disable {plugin!r}"
