"""The HTTP service over the engine: app factory, problem+json, signed quotes, metrics.

``pricing.service`` re-exports what most callers need; see docs/service.md.
"""

from pricing.api.app import EngineProvider, ReloadResult, app_from_env, create_app, serve
from pricing.api.problems import render
from pricing.api.signing import QuoteSigner

__all__ = [
    "EngineProvider",
    "QuoteSigner",
    "ReloadResult",
    "app_from_env",
    "create_app",
    "render",
    "serve",
]
