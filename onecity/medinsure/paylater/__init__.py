"""Treat first, pay later (先诊疗后付费): the city's credit line pays the institution at settlement and
the citizen's self-pay is collected from the wallet when due. See `service` for the rules and glossary."""
