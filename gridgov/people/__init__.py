"""People: persons, households, special groups, organizations, visits, self-declarations."""
