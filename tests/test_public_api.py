"""The curated public API: sorted, complete, importable."""

import pricing


def test_all_is_sorted_and_exported():
    assert pricing.__all__ == sorted(pricing.__all__)
    for name in pricing.__all__:
        assert hasattr(pricing, name), name


def test_errors_inherit_builtins():
    assert issubclass(pricing.RulesError, ValueError)
    assert issubclass(pricing.UnknownMarketError, LookupError)
    assert issubclass(pricing.CurrencyMismatchError, pricing.PricingError)
