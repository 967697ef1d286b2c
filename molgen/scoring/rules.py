"""Rules of thumb (Lipinski, Veber, Ghose, lead-likeness): pass or fail, with the violated terms."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from molgen.scoring.properties import missed_value


@dataclass(frozen=True)
class Term:
    """One bound of a rule, e.g. ``mw <= 500``."""

    property: str
    low: float | None = None
    high: float | None = None

    def violated(self, value: float) -> bool:
        return (self.low is not None and value < self.low) or (self.high is not None and value > self.high)

    def describe(self) -> str:
        if self.low is not None and self.high is not None:
            return f"{self.low:g} <= {self.property} <= {self.high:g}"
        return f"{self.property} <= {self.high:g}" if self.high is not None else f"{self.property} >= {self.low:g}"


@dataclass(frozen=True)
class Rule:
    """A named rule: its terms and how many may be violated while it still passes."""

    name: str
    terms: tuple[Term, ...]
    allowed_violations: int = 0
    reference: str = ""

    @property
    def properties(self) -> list[str]:
        return [t.property for t in self.terms]


@dataclass(frozen=True)
class RuleResult:
    passed: bool
    violations: tuple[str, ...]   # each violated term with the value that broke it


RULES: dict[str, Rule] = {
    "lipinski": Rule("lipinski", (Term("mw", high=500), Term("logp", high=5), Term("nhoh_count", high=5),
                                  Term("no_count", high=10)),
                     allowed_violations=1,
                     reference="Lipinski et al. 1997: at most one violation; donors and acceptors counted as he "
                               "defined them, NH + OH and N + O (not RDKit's hbd and hba); logP is Crippen's, "
                               "where he used CLogP"),
    "veber": Rule("veber", (Term("rotatable_bonds", high=10), Term("tpsa", high=140)),
                  reference="Veber et al. 2002, in its TPSA form; the paper's alternative to TPSA <= 140, 12 or fewer "
                            "H-bond donors and acceptors, is not checked"),
    "ghose": Rule("ghose", (Term("logp", -0.4, 5.6), Term("mw", 160, 480), Term("molar_refractivity", 40, 130), Term("atoms", 20, 70)),
                  reference="Ghose et al. 1999"),
    "lead_likeness": Rule("lead_likeness", (Term("mw", 250, 350), Term("logp", high=3.5), Term("rotatable_bonds", high=7)),
                          reference="Teague et al. 1999 / ZINC lead-like (the MOSES set)"),
}


def check_rule(rule: Rule | str, properties: Mapping[str, float], allowed_violations: int | None = None) -> RuleResult:
    """Check one rule against computed properties; ``allowed_violations`` overrides the rule's own."""
    rule = RULES[rule] if isinstance(rule, str) else rule
    allowed = rule.allowed_violations if allowed_violations is None else allowed_violations
    # with the value, as a missed condition reads: "mw <= 500 (mw 577)"
    violations = tuple(f"{t.describe()} ({t.property} {missed_value(properties[t.property], t.low, t.high)})"
                       for t in rule.terms if t.violated(properties[t.property]))
    return RuleResult(len(violations) <= allowed, violations)
