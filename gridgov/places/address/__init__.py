"""Chinese address parsing: free text → labelled elements (省 市 区 街道 社区 路 号 楼 单元 室 …).

Public API::

    parse_address(text) -> list[Element]
    parse_many(texts) -> list[list[Element]]
    load_model(path=None) -> AddressParser          # cached
    normalize_text(text) -> str                      # canonical form for matching, not for parsing
    evaluate(dev_path) -> dict                        # entity-level P/R/F1
    parse_to_json_lines(lines) -> Iterator[str]       # the `gridgov address parse` output

Training: ``python -m gridgov.places.address.train --data DIR --out PATH`` (see ``train.py`` and
``docs/address-parser.md``).
"""

from gridgov.places.address.data import LABELS
from gridgov.places.address.evaluate import evaluate
from gridgov.places.address.parser import (
    AddressParser,
    Element,
    load_model,
    parse_address,
    parse_many,
    parse_to_json_lines,
)
from gridgov.places.address.text import normalize_text

__all__ = [
    "LABELS",
    "AddressParser",
    "Element",
    "evaluate",
    "load_model",
    "normalize_text",
    "parse_address",
    "parse_many",
    "parse_to_json_lines",
]
