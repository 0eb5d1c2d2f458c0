"""A validated market: its frozen spec plus the look-ups the engine needs, built once."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from types import MappingProxyType

from pricing.errors import Problem, key_path
from pricing.markets.schema import DutyRule, MarketSpec, TaxComponent
from pricing.payments import bundled_payment_methods, method_warnings

__all__ = ["Market"]


class Market:
    """One market of a rule set. Immutable; every rule can name the file and key it came from."""

    __slots__ = ("_origin", "_refs", "_rules_by_prefix", "requires_region", "spec")

    def __init__(self, spec: MarketSpec, origin: Mapping[tuple[str | int, ...], str]) -> None:
        self.spec = spec
        self._origin = MappingProxyType(dict(origin))
        self._refs: dict[tuple[str | int, ...], str] = {}
        # A region is needed only where a component applies in some regions and no market-wide
        # component stands in for it elsewhere.
        self.requires_region = bool(spec.tax and any(c.regions and c.replaces is None
                                                     for c in spec.tax.components))
        # Longest prefix first; origin-specific (preference) rules before general ones.
        indexed = list(enumerate(spec.duty.rules))
        self._rules_by_prefix = tuple(sorted(
            indexed, key=lambda ir: (not ir[1].origins, -len(ir[1].hs or ""), ir[0])))

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def currency(self) -> str:
        return self.spec.currency

    def file_of(self, *path: str | int) -> str:
        """The rule file that supplied the key at ``path`` (a zone or the market's own file)."""
        for n in range(len(path), -1, -1):
            if path[:n] in self._origin:
                return self._origin[path[:n]]
        return self._origin.get((), f"markets/{self.id}.toml")

    def rule_ref(self, *path: str | int) -> str:
        """``file#key.path`` naming where a rule lives, e.g. ``zones/eu.toml#duty.rules[2]``."""
        cached = self._refs.get(path)
        if cached is not None:
            return cached
        ref = self._refs[path] = f"{self.file_of(*path)}#{key_path(path)}"
        return ref

    def duty_rule_for(self, hs_code: str | None, origin: str | None
                      ) -> tuple[int, DutyRule] | None:
        """The duty rule for an item: an origin preference first, then the longest HS prefix."""
        for index, rule in self._rules_by_prefix:
            if rule.hs is not None and (hs_code is None or not hs_code.startswith(rule.hs)):
                continue
            if rule.origins and origin not in rule.origins:
                continue
            return index, rule
        return None

    def tax_components(self, region: str | None) -> list[tuple[int, TaxComponent]]:
        """The tax components that apply in ``region``: market-wide ones, unless a regional
        component replaces them there, and the regional ones of that region."""
        if self.spec.tax is None:
            return []
        comps = self.spec.tax.components
        replaced = {c.replaces for c in comps if c.replaces and region in c.regions}
        return [(i, c) for i, c in enumerate(comps)
                if (not c.regions or region in c.regions) and c.name not in replaced]

    def serves(self, country: str, region: str | None) -> bool:
        return country in self.spec.countries and region not in self.spec.exclude_regions

    def payment_warnings(self) -> tuple[Problem, ...]:
        """Payment methods listed that cannot serve all of the market (a currency they do not
        settle, a country they are not offered in), as warnings for ``pricing validate
        --warnings``, each naming the file and ``payment_methods[i]`` it comes from."""
        return tuple(
            Problem(self.file_of("payment_methods", w.index), key_path(("payment_methods",
                    w.index)), w.message, value=repr(w.value), expected=w.expected)
            for w in method_warnings(self.spec.payment_methods, currency=self.currency,
                                     countries=self.spec.countries, market=self.id))

    def summary(self, *, on: date | None = None, locale: str | None = None
                ) -> dict[str, object]:
        """The public description of the market (for GET /v1/markets); payment method names
        in ``locale`` (default: the market's default locale)."""
        s = self.spec
        methods = bundled_payment_methods()
        return {
            "id": s.id,
            "name": s.name,
            "countries": list(s.countries),
            "currency": s.currency,
            "locales": list(s.locales),
            "default_locale": s.default_locale,
            "price_display": s.price_display,
            "incoterm": s.incoterm,
            "requires_region": self.requires_region,
            "shipping_methods": [
                {"id": k, "name": m.name, "days": list(m.days), "default": m.default}
                for k, m in s.shipping.items()],
            "payment_methods": [methods[m].summary(locale=locale or s.default_locale,
                                                   currency=s.currency, countries=s.countries)
                                for m in s.payment_methods],
        }
