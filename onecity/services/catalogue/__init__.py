"""Service catalogue: see `service`."""
