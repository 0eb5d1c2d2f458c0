"""The stages of a quote, one module each, in the order docs/calculation.md states.

:mod:`~pricing.stages.plan` compiles a market into plans (one per date interval of its rules);
then, per quote: :mod:`~pricing.stages.prices` (local unit prices), :mod:`~pricing.stages.shipping`,
:mod:`~pricing.stages.regimes`, :mod:`~pricing.stages.duties`, :mod:`~pricing.stages.taxes` and
:mod:`~pricing.stages.fees`. Each stage is a pure function of a plan and the previous stages'
per-line amounts (tuples of Decimals in the market currency) to its own amounts and explained
charges; :class:`pricing.engine.Engine` composes them.
"""
