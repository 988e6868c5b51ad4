"""Schemathesis hooks for tests/fuzz/schemathesis.sh (loaded through SCHEMATHESIS_HOOKS).

1. The run leaves its own accounts alone. An admin may reset any account, their own included, and
   a reset revokes the account's sessions and clears its password (as it must), which would end
   the run's session part-way and leave the remaining operations seeing only 401.

2. `positive_data_acceptance` fails when a schema-valid request gets 422. The document states
   every rule of a single field (ranges, lengths, patterns, formats); what it cannot state is a
   rule over several fields or over stored state. Those rules are declared here, per operation,
   with the field and the message the server gives. A refusal is accepted only when every one of
   its field errors is a declared rule of that operation; anything else stays a failure, and the
   summary counts the accepted ones ("dropped by filter_failure").
"""

import json
import os
import re

import schemathesis
from schemathesis.openapi.checks import RejectedPositiveData

OWN_ACCOUNTS = {os.environ["FUZZ_ADMIN_ID"], os.environ["FUZZ_HR_ID"]}

# A body that names an object which does not exist, or not in the caller's agency.
REFERENCE = (r"(.+\.)?[a-z_]+_id", r"^no such ")
ROLE_AGENCY = (r"agency_id", r"^(is required for the \w+ role|must be empty for admins)")
# Password strength beyond its length: three character classes, no common password, not the
# account's email name (the length, 12 to 256, is in the document).
PASSWORD = (r"password", r"^must (mix at least three|not contain)")

DECLARED = {
    "POST /api/v1/users": [ROLE_AGENCY, REFERENCE],
    "PATCH /api/v1/users/{id}": [ROLE_AGENCY],
    "POST /api/v1/auth/activate": [PASSWORD],
    "GET /api/v1/audit/verify": [(r"checkpoint_seq", r"^a checkpoint needs ")],
    # Which permissions an object kind takes (an opening grant names an opening, ...).
    "POST /api/v1/grants": [
        (r"permission", r"^this permission cannot be granted"),
        (r"object_kind", r"^an? \w+ grant names an? \w+"),
    ],
    "POST /api/v1/selection-rounds": [REFERENCE],
    "POST /api/v1/openings": [REFERENCE],
    "POST /api/v1/positions": [REFERENCE],
    "PATCH /api/v1/positions/{id}": [REFERENCE],
}

# Codes that depend on what was sent before, whatever the body: a key reused with another body,
# an activation token that was never issued or has been used.
STATE_CODES = {
    "idempotency_key_reused": None,
    "invalid_activation_token": {"POST /api/v1/auth/activate"},
}


@schemathesis.hook
def filter_case(context, case):
    return (case.path_parameters or {}).get("id") not in OWN_ACCOUNTS


def _declared(operation, problem):
    code = problem.get("code")
    if code in STATE_CODES:
        operations = STATE_CODES[code]
        return operations is None or operation in operations
    if code != "validation_failed" or not problem.get("errors"):
        return False
    rules = DECLARED.get(operation, [])
    return all(
        any(re.fullmatch(field, e["field"]) and re.search(message, e["message"]) for field, message in rules)
        for e in problem["errors"]
    )


@schemathesis.hook
def filter_failure(context, failure, case, response):
    if not isinstance(failure, RejectedPositiveData) or response.status_code != 422:
        return True
    try:
        problem = json.loads(response.content)
    except ValueError:
        return True
    return not _declared(case.operation.label, problem)
