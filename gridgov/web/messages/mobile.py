"""UI text of the mobile pages (Chinese). Keys start with the area's prefix."""

ZH: dict[str, str] = {
}
