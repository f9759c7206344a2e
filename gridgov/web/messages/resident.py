"""UI text of the resident pages (Chinese). Keys start with the area's prefix."""

ZH: dict[str, str] = {
}
