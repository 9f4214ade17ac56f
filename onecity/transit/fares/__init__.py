"""Fares (票价) as pure functions: `config` (a GTFS-Fares-v2-like fare system loaded from JSON),
`trips` (one rider's taps matched into legs, with corrections) and `pricing` (leg fares, transfers,
daily and weekly caps). No database, no clock: the caller passes taps and times."""
