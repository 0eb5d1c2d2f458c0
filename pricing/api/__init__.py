"""The HTTP service over the engine: app factory, problem+json, signed quotes, metrics.

``pricing.service`` re-exports what most callers need; see docs/service.md.
"""

try:
    from pricing.api.app import EngineProvider, ReloadResult, app_from_env, create_app, serve
    from pricing.api.problems import render
    from pricing.api.signing import QuoteSigner
except ImportError:  # the web stack is the optional `service` extra: say how to get it
    from pricing.extras import missing_extra

    if (error := missing_extra("service", feature="the HTTP service")) is not None:
        raise error from None
    raise

__all__ = [
    "EngineProvider",
    "QuoteSigner",
    "ReloadResult",
    "app_from_env",
    "create_app",
    "render",
    "serve",
]
