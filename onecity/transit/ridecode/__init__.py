"""The ride-code chain: platform transit keys (`keys`), the platform-signed device certificate
(`certificate`) and the device-signed ride code with its QR text (`code`). Verification is the gate's
(onecity.transit.gate)."""
