"""Payment codes (付款码) and the EMVCo merchant QR codec (收款码).

`totp` (pure): the 18-digit payment code's layout, TOTP rule and guessing odds. `emvco` (pure, any
module may import it): encode/parse merchant-presented QR payloads. `service`: device secrets,
`consume_payment_code` (trade's pay-by-code calls it), the small-amount limit (小额免密).
The citizen's pages over codes and trade are in `onecity.payments.checkout`.
"""
