"""Seeding a city's medical insurance (the demo city and benchmarks): the stored policies, designated
institutions, enrolled citizens with personal-account money, and a pharmacy's price list. Safe to run
again: everything is looked up first, and contributions use fixed transfer ids."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from onecity.ledger import service as ledger
from onecity.medinsure.service.institutions import (
    pharmacy_catalogue,
    register_institution,
    set_pharmacy_prices,
)
from onecity.medinsure.service.insured import contribute, enrol, insured_row, is_insured
from onecity.medinsure.service.policies import seed_policies
from onecity.money import yuan

# Catalogue items a demo pharmacy sells online, at its own prices (fen per unit).
DEMO_PHARMACY_PRICES: tuple[tuple[str, int], ...] = (
    ("XJ01CAA040A001", 820), ("XN02BEA001A001", 450), ("XM01AEB001A002", 1_380), ("XA10BAA001A001", 1_250),
    ("XB01ACA001A001", 1_480), ("XC08CAA001A001", 410), ("XR06AXL001A001", 1_690), ("ZA01AAB0032", 1_800),
    ("XC10AAR001A001", 4_300), ("ZA01BAL0012", 1_460), ("XA07BCM001A001", 1_250), ("XA11GAV001A001", 2_600),
    ("ZC00XY0002", 9_800), ("C0305010010001", 150),
)


def seed_city(session: Session, *, hospitals: Sequence[tuple[str, int]], pharmacies: Sequence[str],
              insured: Sequence[tuple[str, str, bool, int]], actor: str) -> list[str]:
    """Store the policies, designate `hospitals` ((org id, level)) and `pharmacies`, enrol `insured`
    ((citizen id, scheme, retiree, personal-account money in fen)); returns what was done, in words."""
    done = [f"medinsure policy {k} stored" for k in seed_policies(session, actor=actor)]
    for org_id, level in hospitals:
        register_institution(session, org_id=org_id, level=level, actor=actor)
    for org_id in pharmacies:
        register_institution(session, org_id=org_id, level=0, actor=actor)
        if not pharmacy_catalogue(session, org_id=org_id):
            set_pharmacy_prices(session, org_id=org_id, items=list(DEMO_PHARMACY_PRICES), actor=actor)
    done.append(f"medinsure institutions: {len(hospitals)} hospitals, {len(pharmacies)} pharmacies")
    for citizen_id, scheme, retiree, money in insured:
        new = not is_insured(session, citizen_id)
        enrol(session, citizen_id=citizen_id, scheme=scheme, retiree=retiree, actor=actor)
        row = insured_row(session, citizen_id)
        transfer_id = f"medinsure:seed:{row.insured_id}"
        if money and not ledger.transfers_by_ref(session, row.insured_id):
            contribute(session, citizen_id=citizen_id, amount=money, actor=actor, transfer_id=transfer_id)
        if new:
            done.append(f"medinsure: enrolled {citizen_id} ({scheme}{', retiree' if retiree else ''}), "
                        f"personal account ¥{yuan(money)}")
    return done
