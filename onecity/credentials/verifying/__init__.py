"""Verifying certificates (验证): `onecity verify` (commands), the verifier API (api) and page (pages).

A subpackage of its own so that app and CLI discovery (leaf names `api`, `pages`, `commands`) find it
beside the issuance API of `onecity.credentials`; the verification itself is `credentials.verifier`.
"""
