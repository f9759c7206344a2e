"""UI text of the dashboard pages (Chinese). Keys start with the area's prefix."""

ZH: dict[str, str] = {
}
