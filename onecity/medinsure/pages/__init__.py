"""The medical-insurance pages (医保页面).

- `citizen`: the citizen app under /app/medinsure — overview (scheme, personal account, year to date,
  commercial policies, pay later), activating the insurance code after face verification, the code
  itself (a QR refreshed every minute, counter consent, a relative's code), the confirmation screen,
  visit and bill history with every payer's share and the electronic receipt, and the online pharmacy.
- `console`: the hospital and pharmacy console under /console/medinsure — scan a code, upload fees,
  pre-settle, settle at the counter or wait for the citizen, refund lines, the visit list.
- `fund`: the city administrators' page of the pooled fund's daily totals and the policy versions.

Glossary: 医保码 insurance code, 统筹基金 pooled fund, 个人账户 personal account, 家庭共济 family aid,
商业保险 commercial insurance, 先诊疗后付费 treat first pay later, 预结算 pre-settlement, 结算 settlement,
退费 refund, 自付 self-pay within the policy, 自费 self-pay outside the policy.
"""

from fastapi import APIRouter

from onecity.medinsure.pages.citizen import router as citizen_pages
from onecity.medinsure.pages.console import router as console_pages
from onecity.medinsure.pages.fund import router as fund_pages

router = APIRouter(include_in_schema=False)
router.include_router(citizen_pages)
router.include_router(console_pages)
router.include_router(fund_pages)
