"""A schemathesis check for what the OpenAPI schema cannot say (loaded by test_service_schema).

The schema states each field's shape exactly (patterns, lengths, ranges), so a schema-valid
request never fails field validation. What it cannot state is a rule between fields or a
lookup: a region of another country, a price finer than its currency, a market that does not
serve the country, a code no registry knows (ISO 4217 "AAA"), a cart over a weight limit.
Those are 422s with their own codes, and ``positive_data_acceptance`` is told to accept 422
for the two quote operations; this check then makes sure every such 422 *is* one of those,
never a field refused for its shape.
"""

from __future__ import annotations

import schemathesis

#: Refusals of a well-formed cart by the rules (see docs/service.md, "Errors").
BUSINESS = frozenset({"unknown-market", "unknown-shipping-method", "missing-rate",
                      "restricted-item", "shipping-impossible", "quote-refused"})
#: Validation error types of a well-formed code that its registry does not know.
LOOKUPS = frozenset({"unknown-currency", "invalid-code"})


@schemathesis.check
def schema_valid_requests_fail_only_on_business_rules(ctx, response, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 422:
        return None
    body = response.json()
    errors = body.get("errors")
    if body.get("code") in BUSINESS or (body.get("code") in LOOKUPS and not errors):
        return None
    if body.get("code") == "invalid-request" and not errors:
        return None  # refused after field validation: a rule between fields
    if errors and all(e.get("type") in LOOKUPS for e in errors):
        return None
    shapes = sorted({(e.get("field"), e.get("type")) for e in errors or ()
                     if e.get("type") not in LOOKUPS})
    raise AssertionError("a schema-valid request was refused for a field's shape: "
                         f"{body.get('detail')}; {shapes}")
