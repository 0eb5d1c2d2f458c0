"""Channel feeds: the whole catalog, priced all-inclusive and localized, per market, language and
channel (docs/feeds.md)."""
