"""Localization: formatting for people (babel) and translated text (gettext PO catalogs)."""

from pricing.l10n.formatting import format_money, negotiate_locale

__all__ = ["format_money", "negotiate_locale"]
