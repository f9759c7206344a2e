"""Places: the standard address library, the address parser, buildings and houses."""
