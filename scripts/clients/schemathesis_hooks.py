"""Hooks for scripts/schemathesis: what a JSON Schema cannot say about a valid request.

`crm_positive_data_acceptance` replaces schemathesis's `positive_data_acceptance`. Like it, it
fails when a request valid by the document is refused (any 4xx other than 401, 403, 404, 409,
412 and 429), except when every error of the 422 problem document names a rule the document
states in words but JSON Schema cannot express (`DOCUMENTED_RULES`). Any other refusal of valid
data (a length, a range, a pattern, an enum, a format the server reads differently) fails.
"""

import json
import re

import schemathesis

# Problem-document error codes of rules that depend on more than the field's own value.
DOCUMENTED_RULES = {
    # The body names a record (owner_id, company_id, price_list_id, ...) that does not exist in
    # the caller's organization; generated ids never do.
    "not_found": "a referenced record does not exist",
    "no_match": "no contact has the given email or phone",
    # Cross-field rules the DTO descriptions state.
    "missing_stage": "a pipeline needs an open, a won and a lost stage",
    "not_allowed": "options only for select fields; a field only in one state",
    "task_only": "due_at, assignee_id, priority, reminder_at, status only for tasks",
    "not_a_task": "only tasks can be completed",
    "required": "a value required by another field (a line needs a product or a description, ...)",
    "too_many_digits": "an amount has at most its currency's minor units (0 for JPY)",
    "overflow": "a document's computed totals exceed the largest amount",
    "self_merge": "a record cannot be merged into itself",
    "inactive": "an inactive product cannot be sold",
    "taken": "a unique value (sku, custom field key, email) is already used",
    # Values whose validity no pattern captures.
    "phone": "a phone number must be a valid number for its country (libphonenumber)",
    "invalid_cursor": "a cursor is the next_cursor the server issued",
    # Analytics: what depends on the organization's settings or on another parameter.
    "base_currency": "the base currency needs no exchange rate (it is a setting)",
    "invalid_key": "map keys follow their stated form (activity kinds, RFM score pairs)",
    # What depends on the record as it already is (an upsert by external id that finds one).
    "immutable": "a deal stays in its pipeline, an activity keeps its kind, contact and company",
    # An import's mapping names columns of its file's header, which the document cannot know.
    "unknown_column": "a mapping's keys are columns of the uploaded file's header",
    "unknown_target": "a mapping's values name fields of the imported resource",
}

# Rules whose error code is also used for single-field rules, excused only at this pointer.
DOCUMENTED_AT = {
    ("length", "/lines"): "an invoice without an order needs lines",
    ("invalid_value", "/stages"): "a new pipeline's stages have no id (ids keep stages on PATCH)",
    ("invalid_value", "/sort"): "sort keys are distinct (`name,-name` names one twice)",
    ("mismatch", "/currency"): "a document's currency is its price list's",
    ("mismatch", "/current_password"): "the current password is the caller's secret",
    ("unreadable", "/file"): "an import's file is CSV, NDJSON or vCard text, not any bytes",
    ("missing_column", "/file"): "a rate file's header names currency, date and rate",
    ("range", "/to"): "a period ends after `from` and spans at most 120 months",
    ("range", "/b"): "the ABC thresholds increase: a < b",
    ("range", "/y"): "the XYZ thresholds increase: x < y",
    ("range", "/reference_date"): "lifetime value watches customers up to the reference date",
    ("invalid_value", "/id"): "monthly revenue: `id` names an item of `subject`, so needs it",
    ("out_of_range", "/issued_at"): "a business date is a year from 1900 to 2100, not in the future",
    ("out_of_range", "/ordered_at"): "a business date is a year from 1900 to 2100, not in the future",
    ("out_of_range", "/closed_at"): "a business date is a year from 1900 to 2100, not in the future",
    ("out_of_range", "/occurred_at"): "a business date is a year from 1900 to 2100",
    ("invalid_value", "/options/match_on"): "each resource is matched on its own keys (MatchOn)",
    ("refused_address", "/url"): "a webhook's host must resolve, to a public address unless allowed",
}

# The batch endpoints nest each item's body under `/items/N/data`: a rule excused for the
# single write is excused there too.
BATCH_DATA = re.compile(r"^/items/[0-9]+/data(/.*)$")

# Problem codes (without field errors) of rules that depend on earlier requests.
DOCUMENTED_PROBLEMS = {
    "idempotency_key_reused": "the same Idempotency-Key was used before with another body",
}


def documented(error):
    code, pointer = error.get("code"), error.get("pointer")
    nested = BATCH_DATA.match(pointer or "")
    if nested:
        return documented(dict(error, pointer=nested.group(1)))
    if code in DOCUMENTED_RULES or (code, pointer) in DOCUMENTED_AT:
        return True
    # Event type patterns are names (`deal.updated`), prefixes (`contact.*`) or `*` (stated
    # in words on `event_types`).
    if code == "invalid_value" and re.fullmatch(r"/event_types/[0-9]+", pointer or ""):
        return True
    # An export's `params` are the list's query parameters: its keys name filterable fields.
    if code == "unknown_field" and error.get("message", "").endswith(
        "is not a filterable field of this resource"
    ):
        return True
    # A rate's day is a year from 1900 to 2100 (stated in words: a pattern on a date makes
    # the body too narrow to generate).
    if code == "range" and re.fullmatch(r"/rates/[0-9]+/date", pointer or ""):
        return True
    # A line names its product by `product_id` or by `sku`, not both (stated in words).
    if code == "conflict" and re.fullmatch(r"/lines/[0-9]+/sku", pointer or ""):
        return True
    # `custom.<key>` (in sort and filters) and the keys of `custom` (in bodies) name custom fields
    # the organization defines (GET /api/v1/custom-fields); the document cannot list them.
    return code == "unknown_field" and error.get("message", "").endswith(
        ("is not a custom field of this resource", "is not a custom field of this record type")
    )

# Statuses that are not a refusal of the data itself.
ACCEPTED = {401, 403, 404, 409, 412, 429}


@schemathesis.check
def crm_positive_data_acceptance(ctx, response, case):
    """A schema-valid request is not refused, unless for a rule the document states in words."""
    meta = getattr(case, "meta", None)
    if meta is None or not meta.generation.mode.is_positive:
        return None
    status = response.status_code
    if status < 400 or status >= 500 or status in ACCEPTED:
        return None
    try:
        problem = json.loads(response.content)
    except ValueError:
        problem = {}
    errors = problem.get("errors") or []
    if status == 422 and errors and all(documented(e) for e in errors):
        return None
    if status == 422 and not errors and problem.get("code") in DOCUMENTED_PROBLEMS:
        return None
    # Anything else is valid data refused: quote what the server said.
    raise AssertionError(f"Valid data refused with {status}: {problem.get('detail')} {errors}")
