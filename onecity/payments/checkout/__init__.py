"""Checkout (收银台): the citizen's pages and API for paying in person — the payment code page
(/app/pay), its small-amount setting, confirmations, and scan-to-pay (/app/scan) — over `codes` and
`trade`. See `service` for why it is a package of its own."""
