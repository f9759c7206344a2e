"""UI text of the register pages (Chinese). Keys start with the area's prefix."""

ZH: dict[str, str] = {
}
