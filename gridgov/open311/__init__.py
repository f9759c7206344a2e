"""Open311 GeoReport v2: the exchange format civic apps already speak, mapped to our catalog and events."""
