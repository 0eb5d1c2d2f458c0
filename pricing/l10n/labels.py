"""The service's own words: charge labels, tax names, delivery text and shopper-facing errors.

Domain ``labels``: ``locales/labels.pot`` and ``locales/<lang>/LC_MESSAGES/labels.po``, read
with babel.messages. Plural forms follow each file's ``Plural-Forms`` header, which must agree
with the language's number of forms (babel's ``get_plural``); a file that does not, or that
does not parse, is reported with file and line in ``.errors`` and left out, the rest load.

>>> labels = load_labels()
>>> labels.gettext("Shipping", "de_CH")
'Versand'
>>> labels.item_count(3, "pl_PL"), labels.item_count(5, "pl_PL")
('3 produkty', '5 produktów')
>>> labels.gettext("Total", "ar")
'الإجمالي'

Two labels are also words CLDR has for every locale babel knows: the item count ("3 items",
CLDR's unit ``item``) and the delivery time ("in 3–5 days", CLDR's relative time). Where no
translator wrote them in the shopper's own language, they come from CLDR in that language
before the market's default language or English is tried:

>>> labels.delivered_in(3, 5, "cy_GB"), labels.item_count(5, "gl_ES")
('ymhen 3–5 diwrnod', '5 unidades')
"""

from __future__ import annotations

import gettext
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.plurals import get_plural
from babel.numbers import format_decimal

from pricing.codes import normalize_locale
from pricing.errors import InvalidInputError, Problem
from pricing.l10n.catalogs import (
    CatalogError,
    check_messages,
    po_path,
    read_po_file,
    update_catalog,
    write_po_file,
)
from pricing.l10n.formatting import fallback_chain, format_days_ahead, format_item_count
from pricing.resources import sample_dir

__all__ = [
    "DOMAIN",
    "LABELS",
    "LANGUAGES",
    "Label",
    "Labels",
    "default_locales_dir",
    "label_template",
    "load_labels",
    "shipped_labels",
    "write_labels_template",
]

DOMAIN = "labels"


@dataclass(frozen=True, slots=True)
class Label:
    """One message of the service: its English text, plural, and a note for translators."""

    msgid: str
    plural: str | None = None
    note: str = ""


ITEMS = Label("%(count)s item", "%(count)s items", "Number of items in the cart.")
DELIVERED_IN = Label("Delivered in %(min)s–%(max)s days",
                     note="Delivery estimate; min and max are numbers of days.")

#: Every label, in the order of the template.
LABELS: tuple[Label, ...] = (
    Label("Subtotal", note="Sum of the item prices."),
    Label("Shipping", note="Charge line: the shipping price."),
    Label("Duties", note="Charge line: customs duties."),
    Label("Taxes", note="Charge line: import or sales taxes."),
    Label("Fees", note="Charge line: handling or customs clearance fees."),
    Label("Total", note="The amount the shopper pays."),
    Label("Included taxes", note="Heading for the taxes already included in the prices."),
    Label("Due on delivery", note="Amount the carrier collects at the door (DAP)."),
    Label("VAT", note="Value added tax."),
    Label("GST", note="Goods and services tax (Canada, Australia, ...)."),
    Label("HST", note="Harmonized sales tax (Canada)."),
    Label("PST", note="Provincial sales tax (Canada)."),
    Label("QST", note="Quebec sales tax."),
    Label("Sales tax", note="US state sales tax."),
    Label("Consumption tax", note="Japanese consumption tax."),
    DELIVERED_IN,
    ITEMS,
    Label("This item cannot be shipped to your country.", note="Shopper-facing error."),
    Label("We do not deliver to this address yet.", note="Shopper-facing error."),
    Label("Please choose your state, province or region.", note="Shopper-facing error."),
    Label("This order is too heavy to ship. Please split it into smaller orders.",
          note="Shopper-facing error."),
    Label("Prices could not be calculated. Please try again in a moment.",
          note="Shopper-facing error."),
    Label("This product is no longer available.", note="Shopper-facing error."),
)

SOURCE_LOCALE = "en"


def default_locales_dir() -> Path:
    """The ``locales`` folder the package ships: the installed package's own copy, or the
    source tree's folder in a checkout (:func:`pricing.resources.sample_dir`)."""
    return sample_dir("locales")


#: The languages the service ships labels for (English is the source): every folder of the
#: shipped ``locales/`` with a ``labels.po``, so a new language counts once its file is
#: there (the tests check each one loads complete, with its language's plural forms).
LANGUAGES: tuple[str, ...] = tuple(sorted(
    p.parent.parent.name for p in default_locales_dir().glob(f"*/LC_MESSAGES/{DOMAIN}.po")))


def label_template() -> Catalog:
    """The ``labels`` template (POT) built from :data:`LABELS`."""
    template = Catalog(domain=DOMAIN, project="pricing", version="1", charset="utf-8",
                       fuzzy=False, header_comment="# Labels of the pricing service. "
                       "Generated from pricing/l10n/labels.py; do not edit by hand.")
    for label in LABELS:
        msgid = (label.msgid, label.plural) if label.plural else label.msgid
        template.add(msgid, auto_comments=[label.note] if label.note else ())
    return template


def write_labels_template(locales_dir: str | Path | None = None) -> list[Path]:
    """Write ``labels.pot`` and bring every ``labels.po`` up to it; return the files written."""
    root = Path(locales_dir) if locales_dir is not None else default_locales_dir()
    template = label_template()
    written = []
    if write_po_file(root / f"{DOMAIN}.pot", template):
        written.append(root / f"{DOMAIN}.pot")
    for path in sorted(root.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        catalog = read_po_file(path, locale=path.parent.parent.name, domain=DOMAIN)
        update_catalog(catalog, template)
        if write_po_file(path, catalog):
            written.append(path)
    return written


@dataclass(frozen=True, slots=True)
class _Language:
    singular: Mapping[str, str]
    plural: Mapping[str, tuple[str, ...]]
    rule: Callable[[int], int]


def _english(n: int) -> int:
    return 0 if n == 1 else 1


def _is_source(tag: str) -> bool:
    """Whether ``tag`` is in the source language, whose words are the msgids themselves."""
    return tag.split("_")[0] == SOURCE_LOCALE


class Labels:
    """Translated labels, looked up along the fallback chain down to English."""

    def __init__(self, languages: Mapping[str, _Language], *, files: Mapping[str, str] | None
                 = None, errors: Sequence[CatalogError] = ()) -> None:
        self._languages = dict(languages)
        self._files = dict(files or {})
        self.errors: tuple[CatalogError, ...] = tuple(errors)

    @property
    def locales(self) -> tuple[str, ...]:
        """The languages with a labels PO file that loaded."""
        return tuple(sorted(self._languages))

    def over(self, fallback: Labels) -> Labels:
        """These labels, with ``fallback``'s languages where these have none.

        A merchant's ``locales/`` folder may translate the labels of a few languages its own
        way; the package's labels (:func:`shipped_labels`) serve every other language.

        >>> mine = load_labels(languages=["de"])
        >>> mine.over(load_labels(languages=["fr"])).locales
        ('de', 'fr')
        """
        languages = {**fallback._languages, **self._languages}
        files = {**fallback._files, **self._files}
        return Labels(languages, files=files, errors=self.errors)

    def lookup(self, msgid: str, locale: str, *, default: str | None = None) -> tuple[str, str]:
        """``msgid`` translated for ``locale``, and the locale it was found in. A msgid that is
        no label (e.g. a tax name from a rule file) comes back unchanged, in ``en``.

        The chain stops at English, whose words are the msgids: an English shopper in a German
        market reads "VAT", not "MwSt.".

        >>> load_labels().lookup("VAT", "en_DE", default="de_DE")
        ('VAT', 'en')
        """
        for tag in fallback_chain(locale, default=default, source=SOURCE_LOCALE):
            if tag == SOURCE_LOCALE:
                break
            lang = self._languages.get(tag)
            if lang is not None and (text := lang.singular.get(msgid)):
                return text, tag
        return msgid, SOURCE_LOCALE

    def gettext(self, msgid: str, locale: str, *, default: str | None = None) -> str:
        """``msgid`` translated for ``locale`` (``default``: the market's default locale)."""
        return self.lookup(msgid, locale, default=default)[0]

    def ngettext(self, singular: str, plural: str, n: int, locale: str, *,
                 default: str | None = None) -> str:
        """The form of ``singular``/``plural`` for ``n`` in ``locale``, by that catalog's
        plural rule (``Plural-Forms``); not yet formatted with ``n``."""
        if isinstance(n, bool) or not isinstance(n, int):
            raise InvalidInputError("a count is an int", field="n", value=str(n))
        for tag in fallback_chain(locale, default=default, source=SOURCE_LOCALE):
            if tag == SOURCE_LOCALE:
                break
            lang = self._languages.get(tag)
            if lang is not None and (forms := lang.plural.get(singular)):
                return forms[lang.rule(abs(n))]
        return singular if _english(abs(n)) == 0 else plural

    def _own_language(self, locale: str) -> tuple[str, tuple[str, ...]]:
        """``locale`` normalized, and the tags of its own language that have a catalog."""
        tag = normalize_locale(locale)
        return tag, tuple(t for t in fallback_chain(tag) if t in self._languages)

    def item_count(self, n: int, locale: str, *, default: str | None = None) -> str:
        """``"3 items"`` in ``locale``, with the count in the locale's digits and separators.

        From the catalog of ``locale``'s language, else CLDR's words for it in that language
        (:func:`~pricing.l10n.formatting.format_item_count`), else the ``default`` locale's
        catalog, else English.

        >>> load_labels().item_count(1, "de_DE"), load_labels().item_count(1234, "de_DE")
        ('1 Artikel', '1.234 Artikel')
        """
        tag, own = self._own_language(locale)
        if not any(self._languages[t].plural.get(ITEMS.msgid) for t in own) \
                and not _is_source(tag) and n >= 0 and (cldr := format_item_count(n, tag)):
            return cldr
        form = self.ngettext(ITEMS.msgid, ITEMS.plural or "", n, tag, default=default)
        return form % {"count": format_decimal(n, locale=tag)}

    def delivered_in(self, min_days: int, max_days: int, locale: str, *,
                     default: str | None = None) -> str:
        """``"Delivered in 3–5 days"`` in ``locale``.

        From the catalog of ``locale``'s language, else CLDR's "in 3–5 days" in that language
        (:func:`~pricing.l10n.formatting.format_days_ahead`), else the ``default`` locale's
        catalog, else English.

        >>> load_labels().delivered_in(3, 5, "fr_CA")
        'Livraison sous 3 à 5 jours'
        """
        if not 0 <= min_days <= max_days:
            raise InvalidInputError("delivery days need 0 <= min <= max", field="days",
                                    value=f"{min_days}-{max_days}")
        loc, own = self._own_language(locale)
        if not any(self._languages[t].singular.get(DELIVERED_IN.msgid) for t in own) \
                and not _is_source(loc) and (cldr := format_days_ahead(min_days, max_days, loc)):
            return cldr
        text = self.gettext(DELIVERED_IN.msgid, loc, default=default)
        return text % {"min": format_decimal(min_days, locale=loc),
                       "max": format_decimal(max_days, locale=loc)}

    def missing(self, locale: str) -> tuple[str, ...]:
        """The labels with no translation in ``locale``'s own language (empty for English).

        A translator's to-do list: the item count and the delivery time are listed too when
        only CLDR has them for the language."""
        tag = normalize_locale(locale)
        if tag.split("_")[0] == SOURCE_LOCALE:
            return ()
        own = [t for t in fallback_chain(tag) if t.split("_")[0] == tag.split("_")[0]]
        out = []
        for label in LABELS:
            table = "plural" if label.plural else "singular"
            if not any(getattr(self._languages[t], table).get(label.msgid)
                       for t in own if t in self._languages):
                out.append(label.msgid)
        return tuple(out)


def _rule(expr: str) -> Callable[[int], int]:
    # The C expression of a Plural-Forms header, compiled by the standard library's gettext
    # (the same code GNUTranslations uses); it accepts only C arithmetic on n.
    return gettext.c2py(expr)


@lru_cache(maxsize=1)
def shipped_labels() -> Labels:
    """The labels the package ships, in every language of :data:`LANGUAGES` (loaded once)."""
    return load_labels(default_locales_dir())


def load_labels(locales_dir: str | Path | None = None, *,
                languages: Iterable[str] | None = None) -> Labels:
    """Load every ``labels.po`` under ``locales_dir`` (default: the source tree's ``locales``).

    Broken files are reported in ``.errors`` (file and line) and left out; messages whose
    translation is unusable (wrong plural forms, placeholders) are reported and skipped.
    """
    root = Path(locales_dir) if locales_dir is not None else default_locales_dir()
    errors: list[CatalogError] = []
    loaded: dict[str, _Language] = {}
    files: dict[str, str] = {}
    if languages is None:
        paths = sorted(root.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    else:
        paths = [po_path(root, normalize_locale(t), DOMAIN) for t in languages]
    for path in paths:
        folder = path.parent.parent.name
        try:
            tag = normalize_locale(folder, field="locale folder")
            catalog = read_po_file(path, locale=tag, domain=DOMAIN)
            rule = _rule(catalog.plural_expr)
        except CatalogError as e:
            errors.append(e)
            continue
        except (ValueError, SyntaxError) as e:
            errors.append(CatalogError([Problem(str(path), "", f"unusable: {e}")]))
            continue
        bad = check_messages(catalog, path)
        errors.extend(CatalogError([p]) for _, p in bad)
        skip = {id(m) for m, _ in bad}
        singular: dict[str, str] = {}
        plural: dict[str, tuple[str, ...]] = {}
        for m in catalog:
            if not m.id or m.fuzzy or id(m) in skip:
                continue
            if isinstance(m.id, str) and isinstance(m.string, str) and m.string:
                singular[m.id] = m.string
            elif isinstance(m.id, list | tuple) and isinstance(m.string, list | tuple) \
                    and all(m.string):
                plural[m.id[0]] = tuple(m.string)
        n = get_plural(catalog.locale).num_plurals

        def safe(count: int, _rule: Callable[[int], int] = rule, _n: int = n) -> int:
            return min(max(int(_rule(count)), 0), _n - 1)

        loaded[tag] = _Language(singular, plural, safe)
        files[tag] = str(path)
    return Labels(loaded, files=files, errors=errors)
