"""The HTTP service, in one import: ``create_app``, ``serve`` and ``render``.

>>> from pricing.service import render
>>> render({"market": "de", "warnings": []})
b'{"market":"de","warnings":[]}'

``render(quote.to_dict())`` gives the bytes ``POST /v1/quotes`` sends for the same request,
rules and rates, before the ``signature`` member the service appends. The implementation lives
in :mod:`pricing.api`; docs/service.md describes the endpoints.
"""

from pricing.api.app import EngineProvider, ReloadResult, app_from_env, create_app, serve
from pricing.api.problems import render

__all__ = ["EngineProvider", "ReloadResult", "app_from_env", "create_app", "render", "serve"]
