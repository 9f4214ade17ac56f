"""The provident fund pages (公积金页面).

- `citizen`: the citizen app under /app/services/provident — account, balance, contributions,
  withdrawals (form → rules check → face check → confirm → result).
- `console`: the fund centre's console under /console/services/provident — find an account by ID
  number (shown masked), open accounts, seal and unseal, post a month's contributions, and the
  withdrawals waiting for review (reviewed in the applications console).
"""

from fastapi import APIRouter

from onecity.services.provident.pages.citizen import router as citizen_pages
from onecity.services.provident.pages.console import router as console_pages

router = APIRouter(include_in_schema=False)
router.include_router(citizen_pages)
router.include_router(console_pages)
