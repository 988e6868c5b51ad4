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
# Refusals that stay failures, whole (the report cuts long bodies); the script prints them.
UNDECLARED_LOG = os.environ.get("FUZZ_UNDECLARED_LOG")

# A body that names an object which does not exist, or not in the caller's agency.
REFERENCE = (r"(.+\.)?[a-z_]+_id", r"^no (such |active user has this id)")
ROLE_AGENCY = (r"agency_id", r"^(is required for the \w+ role|must be empty for admins)")
# Password strength beyond its length: three character classes, no common password, not the
# account's email name (the length, 12 to 256, is in the document).
PASSWORD = (r"password", r"^must (mix at least three|not contain)")
# validator's email grammar (IDN domains, IP literals, part lengths) is not `format: email`.
EMAIL = (r"email", r"^must be an email address")

SUBTEST = r"rules\.skd\.subtests\[\d+\]"
THRESHOLDS = r"rules\.threshold_sets\[\d+\]"
RULE_SET = [
    # Unique within a list, or across lists.
    (SUBTEST + r"\.code", r"appears twice"),
    (THRESHOLDS + r"\.(code|seat_groups)", r"appears twice|belongs to two threshold sets"),
    (r"rules\.skb_part_bounds\[\d+\]\.part_kind", r"appear twice"),
    # Pairs, products and sums of other fields.
    (SUBTEST + r"\.scoring", r"^points per question must be positive and ordered"),
    (SUBTEST + r"\.max_points", r"questions times the most points per question"),
    (r"rules\.skd\.subtests", r"^the max_points of all subtests add up"),
    (r"rules\.final_weights", r"^SKD and SKB weights must be non-negative and sum to 100"),
    (r"rules\.skb_part_bounds\[\d+\]\.max_percent", r"^bounds must satisfy"),
    # Names of subtests, and bounds that come from them.
    (r"rules\.(skd\.tie_break|final_tie_break)\[\d+\]", r"is (neither `total` nor a subtest|not one of)"),
    (THRESHOLDS + r"\.subtest_minimums\.[\s\S]*", r"^(no such subtest|must be between 0 and)"),
    (THRESHOLDS + r"\.total_minimum", r"^must be between 0 and"),
]

STAGE = r"plan\.stages\[\d+\]"
PART = STAGE + r"\.parts\[\d+\]"
# The plan against its stage kinds, the rule set and the agency's level.
PLAN = [
    (r"plan\.stages", r"^stage weights must sum to 100"),
    (STAGE + r"\.code", r"appears twice|names administrative screening"),
    (STAGE + r"\.weight_percent", r"^(an administrative stage carries no weight|the rule set weighs SKD)"),
    (STAGE + r"\.test", r"^only an objective stage takes a test"),
    (STAGE + r"\.panel", r"^(a panel stage needs|only a panel stage takes)"),
    (r"(" + STAGE + r"|" + PART + r")\.panel\.aggregate", r"^a trimmed mean needs at least 3"),
    (STAGE + r"\.score_max", r"^(score_min and score_max are required|the SKD range is|the range must satisfy|an administrative stage has no score)"),
    (STAGE + r"\.total_minimum", r"^(must lie within the stage's range|an administrative stage has no score)"),
    (STAGE + r"\.tie_break\[\d+\]", r"is not a tie-break key of this stage"),
    (STAGE + r"\.parts", r"^(only a composite stage|a composite stage needs|at most \d+|a \w+ part of at least|part weights must sum)"),
    (PART + r"\.code", r"appears twice"),
    (PART + r"\.score_max", r"^the range must satisfy"),
    (PART + r"\.panel", r"^an interview is scored by a panel"),
    (PART + r"\.kind", r"^the rule set allows no"),
    (PART + r"\.weight_percent", r"part of a \w+ agency must weigh"),
]
OPENING = PLAN + [
    REFERENCE,
    (r"kind", r"round holds no"),
    (r"seat_groups\[\d+\]\.group", r"^(appears twice|the rule set has no threshold set)"),
    (r"seat_groups", r"^the seats of all groups must add up"),
    (r"eligibility\.max_age", r"^must not be below min_age"),
    (r"eligibility\.age_reference_date", r"^an age limit needs"),
    (r"eligibility\.min_grade", r"apply to promotion openings only"),
    (r"application_closes_at", r"^(must be after application_opens_at|the application window has already ended)"),
]
SCORES = [
    (r"stage", r"^no SKD stage"),
    (r"scores\.[\s\S]*", r"^(a score is required|must be between 0 and|must be a multiple of|no such subtest)"),
]

CRITERION = r"(criteria\[\d+\])"
RUBRIC = [
    (r"scale_max", r"^must be above scale_min"),
    (r"criteria", r"^1 to 20 criteria"),
    (CRITERION + r"\.code", r"^(appears twice|1 to 40 letters)"),
    (CRITERION + r"\.name", r"^1 to 200 characters"),
    (CRITERION + r"\.levels", r"^one descriptor for each level"),
    (CRITERION + r"\.levels\[\d+\]\.descriptor", r"^1 to 1000 characters"),
]
PANEL_TARGET = [
    (r"rubric_id", r"^(no rubric of the opening's agency|the published plan names another rubric)"),
    (r"stage_code", r"^(the plan has no stage|stage \S+ (has no panel spec|is a))"),
    (r"part_code", r"^(stage \S+ (has no part|is composite|has no parts)|part \S+ of)"),
]
# A score against the panel's rubric: its criteria, its scale, justifications at the ends.
SCORE = [
    (r"levels\.[\s\S]*", r"^(a level is required|must be between|the rubric has no such criterion)"),
    (r"justifications\.[\s\S]*", r"^(a level at either end|the rubric has no such criterion|at most 4000)"),
]

DECLARED = {
    "POST /api/v1/rubrics": RUBRIC,
    "POST /api/v1/rubrics/{id}/versions": RUBRIC,
    "POST /api/v1/openings/{id}/panels": PANEL_TARGET,
    "POST /api/v1/panels/{id}/members": [(r"user_id", r"^(no active user has this id|a member is an active)")],
    "POST /api/v1/panels/{id}/queue/{code}/score": SCORE,
    "PUT /api/v1/panels/{id}/queue/{code}/score": SCORE,
    "POST /api/v1/users": [ROLE_AGENCY, REFERENCE, EMAIL],
    "PATCH /api/v1/users/{id}": [ROLE_AGENCY],
    "POST /api/v1/auth/activate": [PASSWORD],
    # A checkpoint's four fields come together; its tree head's two fields come together and
    # only with the checkpoint.
    "GET /api/v1/audit/verify": [
        (r"checkpoint_seq", r"^a checkpoint needs "),
        (r"checkpoint_seq", r"^a signed tree head is checked as part of its checkpoint"),
        (r"checkpoint_root_hash", r"^a signed tree head needs both "),
    ],
    # A tree size up to the current one, which only the server knows, and not below the other.
    "GET /api/v1/audit/proofs/inclusion": [(r"tree_size", r"^must be between \d+ and the current tree size")],
    "GET /api/v1/audit/proofs/consistency": [(r"second", r"^must be between \d+ and the current tree size")],
    # Which permissions an object kind takes (an opening grant names an opening, ...).
    "POST /api/v1/grants": [
        (r"permission", r"^this permission cannot be granted"),
        (r"object_kind", r"^an? \w+ grant names an? \w+"),
        REFERENCE,
    ],
    "POST /api/v1/rule-sets": RULE_SET,
    "PATCH /api/v1/rule-sets/{id}": RULE_SET,
    "POST /api/v1/selection-rounds": [REFERENCE, (r"rule_set_id", r"^the rule set is for")],
    "PATCH /api/v1/selection-rounds/{id}": [REFERENCE, (r"rule_set_id", r"^the rule set is for")],
    "POST /api/v1/openings": OPENING,
    "PATCH /api/v1/openings/{id}": OPENING,
    "POST /api/v1/openings/{id}/publish": OPENING,
    "POST /api/v1/positions": [REFERENCE, (r"agency_id", r"^is required"),
                               (r"standard\[\d+\]\.competency_id", r"appears twice")],
    "PATCH /api/v1/positions/{id}": [REFERENCE, (r"standard\[\d+\]\.competency_id", r"appears twice")],
    "POST /api/v1/openings/{id}/applications": [
        EMAIL,
        (r"nik", r"date part .* does not match the birth date and sex"),
        (r"birth_date", r"^must be a past date"),
        (r"seat_group", r"^the opening has no such seat group"),
        (r"certificates", r"^at most \d+ certificates"),
    ],
    "POST /api/v1/applications/{id}/appeals": [(r"submitted_at", r"^lies (in the future|before the results were published)")],
    "POST /api/v1/applications/{id}/score-corrections": SCORES,
    "POST /api/v1/selection-rounds/{id}/scores": [
        (r"stage", r"^(stage \S+ is not an objective test|no stage \S+ in the round's plans|no opening of the round)"),
    ],
}

# Codes that depend on what was sent before, whatever the body: a key reused with another body,
# an activation token that was never issued or has been used.
STATE_CODES = {
    "idempotency_key_reused": None,
    "invalid_activation_token": {"POST /api/v1/auth/activate"},
    # A change to a published opening needs a justification; a draft takes any change.
    "justification_required": {"PATCH /api/v1/openings/{id}", "POST /api/v1/panels/{id}/lock"},
    # A CSV or NDJSON file is checked against the rule set's columns, which no schema names.
    "invalid_file": {"POST /api/v1/selection-rounds/{id}/scores", "POST /api/v1/selection-rounds/{id}/application-imports"},
    "empty_file": {"POST /api/v1/selection-rounds/{id}/scores", "POST /api/v1/selection-rounds/{id}/application-imports"},
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
    declared = _declared(case.operation.label, problem)
    if not declared and UNDECLARED_LOG:
        with open(UNDECLARED_LOG, "a") as log:
            log.write(json.dumps({"operation": case.operation.label, "problem": problem}) + "\n")
    return not declared
