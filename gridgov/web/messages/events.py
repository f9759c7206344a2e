"""UI text of the events pages (Chinese). Keys start with the area's prefix."""

ZH: dict[str, str] = {
}
