"""The demo city's medical insurance: policies stored, two hospitals (levels 3 and 2) and the pharmacies
designated, the family enrolled with personal-account money; 王芳 pays her father's pharmacy order from
her personal account (family aid: she holds pay_medical over him)."""

from __future__ import annotations

from onecity.demo import cast, seed
from onecity.identity import service as identity
from onecity.ledger import service as ledger
from onecity.medinsure import service as med
from tests.medinsure.factories import fund_wallet


def test_the_demo_city_is_insured(session):
    seed.seed(session, residents=40, api_keys=False)
    seed.seed(session, residents=40, api_keys=False)  # again: nothing is enrolled or credited twice
    main = identity.get_citizen_by_mobile(session, cast.MAIN.mobile)
    father = identity.get_citizen_by_mobile(session, cast.PARENT.mobile)
    assert main is not None and father is not None
    me = med.get_insured(session, citizen_id=main.public_id)
    assert (me.scheme, me.personal_balance_fen) == ("employee", 80_000)
    dad = med.get_insured(session, citizen_id=father.public_id)
    assert (dad.retiree, dad.personal_balance_fen) == (True, 30_000)
    levels = sorted(i.level for i in med.list_institutions(session, kind="hospital"))
    assert levels == [2, 3]
    pharmacy = med.list_institutions(session, kind="pharmacy")[0]
    assert len(med.pharmacy_catalogue(session, org_id=pharmacy.org_id)) >= 10
    assert {p.policy_key for p in med.list_policies(session)} >= {"pengcheng/2025/v1", "pengcheng/2026/v1"}

    # 王芳 orders for her father and pays from her own personal account (family aid)
    fund_wallet(session, main.public_id, 10_000)
    order = med.place_order(session, citizen_id=main.public_id, pharmacy_id=pharmacy.org_id,
                            for_citizen_id=father.public_id, items=[("XA11GAV001A001", 13)],
                            family_payers=[main.public_id])
    assert order.presettlement is not None
    # 13 × 维生素C 2600 = 33 800, 丙类 (outside the policy): the father's own account pays 30 000 first,
    # then hers the remaining 3 800; the wallet nothing
    payers = {p.payer: p.fen for p in order.presettlement.payers}
    assert payers == {"personal_account": 30_000, f"family:{main.public_id}": 3_800}
    s = med.confirm(session, citizen_id=main.public_id, visit_id=order.visit_id)
    assert s.personal_fen == 33_800 and ledger.check(session) == []
    assert med.get_insured(session, citizen_id=main.public_id).personal_balance_fen == 80_000 - 3_800
