"""Market rule files: schema, loader, and the immutable rule set they become."""

from pricing.markets.loader import load_rules
from pricing.markets.market import Market
from pricing.markets.ruleset import RuleSet

__all__ = ["Market", "RuleSet", "load_rules"]
