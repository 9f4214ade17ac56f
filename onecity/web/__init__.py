"""Web shell: templates and static files for the citizen app (/app), the consoles (/console)
and the city dashboard. Pages use no resources from the internet."""
