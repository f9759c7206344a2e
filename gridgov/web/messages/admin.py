"""UI text of the admin pages (Chinese). Keys start with the area's prefix."""

ZH: dict[str, str] = {
}
