"""The citizen's side of consent and access history (授权与访问记录): `/v1/me/credential-consents`,
`/v1/me/credential-access` (api) and the page `/app/credentials/history` (pages), over
`credentials.service.consent`."""
