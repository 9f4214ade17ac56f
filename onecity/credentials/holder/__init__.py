"""The holder side of credentials: the wallet pages and the OpenID4VCI-style claim routes."""
