"""Running hookline for months: the retention pass, metrics sampling and the operator's status."""
