"""Localization: formatting for people (babel), locale choice, and translated text (gettext PO
catalogs: product text in ``catalogs``, the service's own labels in ``labels``)."""

from pricing.l10n.formatting import (
    fallback_chain,
    format_date,
    format_days_ahead,
    format_delivery_range,
    format_item_count,
    format_money,
    format_weight,
    is_rtl,
    measurement_system,
    negotiate_locale,
    parse_accept_language,
    text_direction,
)

__all__ = [
    "fallback_chain",
    "format_date",
    "format_days_ahead",
    "format_delivery_range",
    "format_item_count",
    "format_money",
    "format_weight",
    "is_rtl",
    "measurement_system",
    "negotiate_locale",
    "parse_accept_language",
    "text_direction",
]
