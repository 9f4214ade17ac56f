"""Medical insurance (医保): the insurance code, one-scan split settlement, family aid, commercial cover and pay-later."""
