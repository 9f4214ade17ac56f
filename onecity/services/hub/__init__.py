"""The agency console hub (城市服务): `/console/services` lists, for a signed-in agency or biller
staff member, the city-services consoles their organisation actually has — the applications queue
(every agency), the traffic-police console (a traffic authority), the tax console (a tax office),
the provident-fund console (the city's fund centre), the biller console (a biller with a profile) —
each only when the member's roles may open it. It asks each area's service whether the
organisation is its authority/office/centre/biller; owns no tables."""
