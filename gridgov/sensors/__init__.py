"""Sensors (物联感知): registered IoT devices file alarms as events of channel ``sensor``."""
