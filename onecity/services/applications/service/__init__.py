"""The applications service, by meaning: `applications` (submit, act, system steps, visits, time
limits), `views` (reading: one application, lists, queues, measures' facts), `approval` (automatic
checks and effects of approval), `references` (case numbers), `forms` (form, eligibility and
material checks), `prefill` (from certificates under consent, and the profile), `attachments`
(uploads, sniffed, encrypted), `notices` (the citizen's inbox). Other modules call the names re-exported here."""

from onecity.services.applications.effects import register_check, register_effect
from onecity.services.applications.service.applications import (
    TOPIC,
    act,
    mark_overdue,
    record_visit,
    run_system,
    submit,
)
from onecity.services.applications.service.approval import check_names, resolve
from onecity.services.applications.service.attachments import (
    ALLOWED,
    MAX_BYTES,
    read_attachment,
    store_attachment,
)
from onecity.services.applications.service.forms import form_errors, validate_form
from onecity.services.applications.service.notices import list_notices, mark_read, notify, unread_count
from onecity.services.applications.service.prefill import (
    certificate_types,
    consent_purpose,
    grant_prefill_consent,
    prefill,
)
from onecity.services.applications.service.views import (
    get_application,
    is_overdue,
    list_for_citizen,
    measure_facts,
    queue,
    state_counts,
)

__all__ = [
    "ALLOWED",
    "MAX_BYTES",
    "TOPIC",
    "act",
    "certificate_types",
    "check_names",
    "consent_purpose",
    "form_errors",
    "get_application",
    "grant_prefill_consent",
    "is_overdue",
    "list_for_citizen",
    "list_notices",
    "mark_overdue",
    "mark_read",
    "measure_facts",
    "notify",
    "prefill",
    "queue",
    "read_attachment",
    "record_visit",
    "register_check",
    "register_effect",
    "resolve",
    "run_system",
    "state_counts",
    "store_attachment",
    "submit",
    "unread_count",
    "validate_form",
]
