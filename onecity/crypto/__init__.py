"""Keys, field encryption, blind indexes and signatures. See `keyring`, `fields`, `signing`."""
