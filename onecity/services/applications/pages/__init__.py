"""The applications pages: `citizen` (apply, my applications, notices under /app/services) and
`console` (the agency's queues and review under /console/services/applications); `formfields`
turns a JSON Schema into HTML fields and a posted form back into JSON."""

from fastapi import APIRouter

from onecity.services.applications.pages.citizen import router as citizen_pages
from onecity.services.applications.pages.console import router as console_pages

router = APIRouter(include_in_schema=False)
router.include_router(citizen_pages)
router.include_router(console_pages)
