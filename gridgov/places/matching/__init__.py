"""The standard address library (标准地址库): canonical form, scoring, matching and geocoding.

- :mod:`~gridgov.places.matching.canonical` (pure): clean text, elements, canonical text and key;
- :mod:`~gridgov.places.matching.scoring` (pure): a candidate's agreement with a query, 0..1;
- :mod:`~gridgov.places.matching.query`: text → cleaned, parsed (``gridgov.places.address``) query;
- :mod:`~gridgov.places.matching.service` (database): ``match_address``, ``geocode``, list, create.

See ``docs/addresses.md``.
"""

from gridgov.places.matching.canonical import Elements, canonical_text, clean, local_key, split_local
from gridgov.places.matching.scoring import Score, score

__all__ = ["Elements", "Score", "canonical_text", "clean", "local_key", "score", "split_local"]
