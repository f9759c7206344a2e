"""The synthetic demo county and city."""
