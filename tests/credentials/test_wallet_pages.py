"""The wallet pages rendered by the app (the browser journey is tests/e2e/test_credentials_wallet.py):
what each page shows for a claimable, a claimed and a revoked certificate, and someone else's."""

from __future__ import annotations

from typing import Any

from onecity.credentials import service
from onecity.identity.sessions import SESSION_COOKIE, create_session
from tests.credentials.issuer_factories import make_issuer
from tests.credentials.test_claims import Holder, _claim_to_token, _claims_for, _credential


def _cookie(client: Any, session: Any, holder: Holder) -> None:
    token, _ = create_session(session, kind="citizen", subject_id=holder.person.id, credential="cookie", label="t")
    session.commit()
    client.cookies.set(SESSION_COOKIE, token)


def test_wallet_claim_detail_and_show_pages(client, session) -> None:
    issuer = make_issuer(session, name="深圳市公安局交通警察支队")
    holder, other = Holder(session), Holder(session)
    cred = service.issue_credential(session, issuer_id=issuer.issuer_id, type_id="driving_licence",
                                    claims=_claims_for(holder.person.id_number, holder.person.name),
                                    citizen_id=holder.person.id, actor="test").credential_id
    session.commit()
    _cookie(client, session, holder)

    page = client.get("/app/credentials")
    assert page.status_code == 200
    assert f'data-credential="{cred}"' in page.text and 'data-claimed="false"' in page.text
    assert "待领取" in page.text and "机动车驾驶证" in page.text and "/app/credentials/history" in page.text
    assert "有效期至: 2032-03-02" in page.text  # the last valid day, not the instant it ends
    claim = client.get(f"/app/credentials/{cred}/claim")
    assert "/app/face?act=credentials.claim&amp;next=%2Fapp%2Fcredentials%2F" in claim.text
    assert client.get(f"/app/credentials/{cred}/show").text.count('data-testid="show-blocked"') == 1
    assert client.get("/app/face?act=credentials.claim").text.count("领取电子证照") >= 1

    t = _claim_to_token(client, session, holder, cred)
    assert _credential(client, t["access_token"], holder.proof(t["c_nonce"])).status_code == 200
    detail = client.get(f"/app/credentials/{cred}/detail")
    assert f'data-field="licence_number">{holder.person.id_number}<' in detail.text
    show = client.get(f"/app/credentials/{cred}/show?view=hotel&lang=en")
    assert 'data-testid="show-qr"' in show.text and 'value="hotel" checked' in show.text
    assert "Shows: Name, Licence number" in show.text and "/static/credentials/holder.js" in show.text

    service.suspend_credential(session, issuer_id=issuer.issuer_id, credential_id=cred, actor="test",
                               reason="逾期未审验 <b>overdue</b>")
    session.commit()
    page = client.get("/app/credentials?lang=zh-CN")
    assert 'data-status="suspended"' in page.text and "已暂停" in page.text and "状态变更于" in page.text
    assert 'data-testid="credential-show"' not in page.text
    assert '<span data-testid="credential-reason">原因：逾期未审验 &lt;b&gt;overdue&lt;/b&gt;</span>' in page.text
    assert 'href="/app/credentials/history" data-testid="wallet-history"' in page.text
    detail = client.get(f"/app/credentials/{cred}/detail?lang=en")
    assert "Reason: 逾期未审验 &lt;b&gt;overdue&lt;/b&gt;" in detail.text and 'data-testid="detail-history"' in detail.text
    service.revoke_credential(session, issuer_id=issuer.issuer_id, credential_id=cred, actor="test",
                              reason="驾驶证注销 licence cancelled")
    session.commit()
    page = client.get("/app/credentials?lang=zh-CN")
    assert 'data-status="revoked"' in page.text and "原因：驾驶证注销 licence cancelled" in page.text

    _cookie(client, session, other)
    assert client.get(f"/app/credentials/{cred}/detail").status_code == 404
    assert client.get("/app/credentials").text.count('data-testid="wallet-empty"') == 1


def test_the_cards_tab_leads_a_verified_citizen_to_the_wallet(client, session) -> None:
    from tests.identity.factories import make_citizen

    _cookie(client, session, Holder(session))
    cards = client.get("/app/cards")
    assert cards.status_code == 200
    assert 'href="/app/credentials" data-testid="cards-wallet-link">我的电子证照（证照夹） ›' in cards.text
    assert client.get("/app/credentials").status_code == 200
    unverified = make_citizen(session, verified=False)
    token, _ = create_session(session, kind="citizen", subject_id=unverified.public_id, credential="cookie", label="t")
    session.commit()
    client.cookies.set(SESSION_COOKIE, token)
    page = client.get("/app/cards")
    assert page.status_code == 200 and 'data-testid="cards-wallet-link"' not in page.text
