"""Uses the Python client that openapi-python-client generates from openapi/openapi.json the way
an integration would; scripts/check-clients runs it with the generated package on PYTHONPATH.
Fails (exception, exit 1) when the client cannot be imported or the contract regressed."""

import importlib
import inspect
import pkgutil

import crm_api_client
from crm_api_client import AuthenticatedClient
from crm_api_client.api.activities import create_activity, list_activities, upsert_activity
from crm_api_client.api.auth import login
from crm_api_client.api.contacts import create_contact, get_contact, list_contacts, update_contact
from crm_api_client.api.identity import get_me
from crm_api_client.api.sales import create_deal, list_deals, upsert_deal, upsert_lead
from crm_api_client.models import (
    Contact,
    Deal,
    HistoryEntry,
    NewActivity,
    NewContact,
    NewDeal,
    NewLead,
    PageContact,
    PageDeal,
    PageHistoryEntry,
    Problem,
)

# Every generated module imports (a syntax or name error anywhere fails here).
modules = 0
for info in pkgutil.walk_packages(crm_api_client.__path__, "crm_api_client."):
    importlib.import_module(info.name)
    modules += 1

client = AuthenticatedClient(base_url="http://127.0.0.1:8080", token="not-used")
assert client.token == "not-used"

# The operations take and return the named schemas.
for op, body in [(create_contact, NewContact), (create_activity, NewActivity), (create_deal, NewDeal)]:
    assert inspect.signature(op.sync_detailed).parameters["body"].annotation in (body, body.__name__), op
# Records another system pushes by its own id: the path names the source and the id there.
for op, body in [(upsert_activity, NewActivity), (upsert_deal, NewDeal), (upsert_lead, NewLead)]:
    params = inspect.signature(op.sync_detailed).parameters
    assert params["body"].annotation in (body, body.__name__), op
    assert "source" in params and "external_id" in params, (op, list(params))
for op in (list_contacts, get_contact, update_contact, list_activities, list_deals, login, get_me):
    assert callable(op.sync) and callable(op.asyncio_detailed), op

# A request body as an integration would build it.
new = NewContact(first_name="Ada", last_name="Lovelace", email="ada@example.com", tags=["vip"])
body = new.to_dict()
assert body["first_name"] == "Ada" and body["last_name"] == "Lovelace", body
assert "kind" not in body, body
assert NewDeal(name="Big one").to_dict()["name"] == "Big one"

# A response as the server sends it; page items are the named schemas.
contact_json = {
    "id": "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@example.com",
    "phone": None,
    "title": None,
    "company_id": None,
    "address": {},
    "owner_id": None,
    "lifecycle_stage": None,
    "source_channel": None,
    "consent": {"email": True},
    "tags": ["vip"],
    "custom": {"tier": "gold"},
    "version": 1,
    "created_at": "2026-01-02T03:04:05Z",
    "updated_at": "2026-01-02T03:04:05Z",
    "deleted_at": None,
    "external_source": "sap",
    "external_id": "K-100",
    "analytics": {
        "abc_class": "A",
        "xyz_class": None,
        "rfm_score": "545",
        "rfm_segment": "champions",
        "clv": 1234.56,
        "p_alive": 0.83,
        "churn_risk": 0.17,
        "computed_at": "2026-01-03T00:00:00Z",
    },
}
page = PageContact.from_dict({"data": [contact_json], "next_cursor": None, "has_more": False})
assert isinstance(page.data[0], Contact), type(page.data[0])
assert page.data[0].email == "ada@example.com"
assert page.data[0].consent["email"] is True
assert page.data[0].custom["tier"] == "gold"
assert page.data[0].external_id == "K-100"
assert page.data[0].analytics.abc_class == "A" and page.data[0].analytics.clv == 1234.56
assert page.data[0].analytics.xyz_class is None
assert page.has_more is False
assert Contact.from_dict(contact_json).to_dict()["custom"] == {"tier": "gold"}

deals = PageDeal.from_dict({"data": [], "next_cursor": None, "has_more": False})
assert deals.data == [] and "Deal" in str(inspect.get_annotations(PageDeal)["data"]), inspect.get_annotations(PageDeal)
history = PageHistoryEntry.from_dict({"data": [], "next_cursor": "c1", "has_more": True})
assert history.next_cursor == "c1" and "HistoryEntry" in str(inspect.get_annotations(PageHistoryEntry)["data"])
assert Deal.__name__ == "Deal" and HistoryEntry.__name__ == "HistoryEntry"

problem = Problem.from_dict(
    {"type": "about:blank", "title": "Unprocessable", "status": 422, "detail": "bad", "code": "validation_failed", "errors": [], "request_id": "r-1"}
)
# Every field of a read model is always sent (null included), so none is `Unset`.
assert problem.status == 422 and problem.request_id == "r-1"

print(f"python client: {modules} modules import, models and operations behave")
