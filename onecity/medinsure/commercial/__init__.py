"""Commercial health insurance (商业健康险) in the one-scan settlement: insurers' products and
policies, and each policy as a payer with its own accumulators. See `service` for the rules kept
and the glossary."""
