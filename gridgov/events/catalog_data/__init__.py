"""Package data of the events domain (CSV, UTF-8), read with importlib.resources.

* ``catalog.csv`` — the default event catalog (事项清单): categories → items, see ``docs/catalog.md``;
* ``departments.csv`` — the departments the catalog routes to by default;
* ``severity_factors.csv`` — the four severity levels and their time-limit factors;
* ``holidays.csv`` — national public holidays and make-up workdays, see ``docs/clocks.md``.

Loaders: :mod:`gridgov.events.catalog_defaults` and :mod:`gridgov.events.workcal`.
"""
