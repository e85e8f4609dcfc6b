#!/usr/bin/env python3
"""Captures the OpenAPI document's examples from a live server over the seed documents.

    usage: DUBAN_URL=http://127.0.0.1:8080 ADMIN_TOKEN=… EDITOR_TOKEN=… PASSWORD=… \
           python3 openapi/capture_examples.py openapi/openapi.json > api/src/http/examples.json

The server must hold the seed documents (`data/*.json`, loaded on first start) and run with
CLOCK_DATE=2021-06-30; EDITOR_TOKEN is an editor of 乐清市 (330382), who may not write to 玉环市;
PASSWORD is the admin's. Every request and answer below is real: the examples show what the server
says, not what someone thought it would. `openapi.rs` (`attach_examples`) puts them on their
operations; `.ci/contract` checks that each validates against its schema.

One mechanism, driven by data. `CALLS` lists, in the order they run, the requests worth showing:
each names its operation (the method and path come from the document), the status it expects and
why. Before an operation's first successful call, its error statuses are provoked from that same
call (`derived_errors`): without the token (401), as the editor of another city (403), an id that
names nothing (404), a stale `If-Match` (412), a malformed body or parameter (400), a media type it
does not take (415), a path that is no id (405). The lists' `.csv`, `.ndjson` and `.partial.json`
operations replay their list's call. A 429 is provoked once (logins, which are limited hardest) and
shown on every operation that documents one.
"""

import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

BASE = os.environ["DUBAN_URL"].rstrip("/")
ADMIN = os.environ["ADMIN_TOKEN"]
EDITOR = os.environ["EDITOR_TOKEN"]
PASSWORD = os.environ["PASSWORD"]
UNKNOWN = "01900000-0000-7000-8000-000000000000"
STALE_TAG = '"0000000000000000"'
DOCUMENT = json.load(open(sys.argv[1] if len(sys.argv) > 1 else "openapi/openapi.json", encoding="utf-8"))

# operationId -> (method, path template, operation)
OPERATIONS = {
    operation["operationId"]: (method.upper(), path, operation)
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
}
SUFFIXES = {"_csv": ".csv", "_ndjson": ".ndjson", "_partial_json": ".partial.json"}

examples = {}
ids = {}  # what the calls found or made, for the calls after them
canonical = {}  # operationId -> its first successful call, which the derived errors start from


def call(method, path, body=None, token=None, headers=None, raw=None, content_type="application/json"):
    data = raw if raw is not None else None if body is None else json.dumps(body, ensure_ascii=False).encode()
    request = urllib.request.Request(BASE + path, data=data, method=method)
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", content_type)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request) as response:
            status, headers, raw_body = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, headers, raw_body = error.code, error.headers, error.read()
    kind = headers.get("Content-Type", "")
    text = raw_body.decode("utf-8-sig") if raw_body else None
    value = json.loads(text) if text and "json" in kind and "ndjson" not in kind else text
    return status, {name.lower(): v for name, v in headers.items()}, value


def record(operation, status, summary, value, request=None, media_type="application/json"):
    """Records `value` as an answer of `operation` with `status` (the first of a status is the one
    Swagger UI shows), and `request` as the body that led there."""
    entry = examples.setdefault(operation, {"responses": {}})
    answers = entry["responses"].setdefault(str(status), [])
    answers.append({"summary": summary, "value": value})
    if request is not None:
        bodies = entry.setdefault("request", {}).setdefault(media_type, {})
        bodies.setdefault(str(status), {"summary": summary, "value": request})


def documented(operation, status):
    return str(status) in OPERATIONS[operation][2]["responses"]


def resolve(value):
    """A call's fields may be functions of what earlier calls found (`ids`)."""
    if isinstance(value, dict) and any(callable(v) for v in value.values()):
        return {k: resolve(v) for k, v in value.items()}
    return value(ids) if callable(value) else value


def send(operation, spec, **changes):
    """Sends `spec` (a call of `CALLS`) to `operation`, with `changes` over it; returns the answer."""
    spec = {**{k: resolve(v) for k, v in spec.items()}, **changes}
    spec.pop("unexpected_success", None)
    method, template, _ = OPERATIONS[operation]
    path = template.replace("{id}", str(spec.get("id", ""))).replace("{slug}", str(spec.get("id", "")))
    query = spec.get("query") or {}
    if query:
        path += "?" + urllib.parse.urlencode(query, doseq=True)
    headers = dict(spec.get("headers") or {})
    if spec.get("if_match") and "If-Match" not in headers:
        status, got, value = call("GET", template.replace("{id}", str(spec["id"])), token=ADMIN)
        if "etag" not in got:
            sys.exit(f"{operation}: no ETag to send in If-Match: {status} {value}")
        headers["If-Match"] = got["etag"]
    media_type = spec.get("media_type", "application/json")
    raw = spec["text"].encode() if "text" in spec else spec.get("raw")
    status, got, value = call(method, path, spec.get("body"), spec.get("token"), headers, raw, media_type)
    return status, got, value, spec


def derived_errors(operation, spec):
    """The errors of `operation` a client provokes from its successful call `spec`: each tried in
    turn, the first answer with the documented status is kept."""
    with_id = "{" in OPERATIONS[operation][1]
    writes = OPERATIONS[operation][0] != "GET"
    has_body = "requestBody" in OPERATIONS[operation][2]
    list_query = {**(resolve(spec.get("query")) or {}), "limit": "0"}
    tries = [
        (401, "No bearer token", {"token": None}),
        (403, "An editor of 乐清市, which this is not", {"token": EDITOR}),
        (404, "No record has this id", {"id": "no-such-problem" if "slug" in OPERATIONS[operation][1] else UNKNOWN, "if_match": False} if with_id else None),
        (412, "A stale If-Match: the record changed since it was read", {"headers": {"If-Match": STALE_TAG}}),
        (400, "A malformed parameter: limit=0", None if writes else {"query": list_query}),
        (400, "Malformed JSON", {"raw": b'{"progress": 40,', "if_match": False} if has_body else None),
        (400, "An id that is no id", {"id": "not-an-id", "if_match": False} if with_id else None),
        (405, "A path that is no report's id: only GET is served there", {"id": "missing", "if_match": False} if with_id else None),
        (415, "A body in a media type the operation does not take", {"raw": b"<document/>", "media_type": "application/xml"}),
    ]
    body = resolve(spec.get("body"))
    if isinstance(body, dict):
        for name, value in body.items():
            if isinstance(value, str):
                blank = {**body, name: ""}
                tries.append((422, f"`{name}` blank", {"body": blank, "show_request": False, "unexpected_success": True}))
    for status, summary, changes in tries:
        if changes is None or not documented(operation, status) or str(status) in examples.get(operation, {}).get("responses", {}):
            continue
        if status in (401, 403) and not spec.get("token"):
            continue
        got, _, value, _ = send(operation, spec, **changes)
        if writes and 200 <= got < 300:
            sys.exit(f"{operation}: {summary!r} was taken ({got}), so it would have changed the data: {value}")
        if got == status:
            record(operation, status, summary, value)


def run(operation, status, summary, keep=None, **spec):
    """Runs one call of `CALLS`: first, for an operation's first success, its derived errors."""
    if 200 <= status < 300 and operation not in canonical:
        canonical[operation] = spec
        derived_errors(operation, spec)
    got, _, value, sent = send(operation, spec)
    if got != status:
        sys.exit(f"{operation}: expected {status}, got {got}: {value}")
    media_type = sent.get("media_type", "application/json")
    request = sent.get("text", sent.get("body")) if sent.get("show_request", True) else None
    if value is not None:
        record(operation, status, summary, value, request, media_type)
    elif request is not None:
        examples.setdefault(operation, {"responses": {}}).setdefault("request", {}).setdefault(media_type, {})[
            str(status)
        ] = {"summary": summary, "value": request}
    if keep:
        keep(value)
    if status == 200 and len(examples[operation]["responses"].get("200", [])) == 1:
        other_representations(operation)
    return value


def fields_of(operation):
    """The names `fields` takes on `operation`, as the document lists them."""
    for parameter in OPERATIONS[operation][2].get("parameters", []):
        if "$ref" in parameter:
            parameter = DOCUMENT["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[1]]
        if parameter["name"] == "fields":
            return parameter["schema"]["items"]["enum"]
    return []


def other_representations(operation):
    """Runs the `.csv`, `.ndjson` and `.partial.json` of the list `operation` as its call did."""
    for suffix_name, suffix in SUFFIXES.items():
        sibling = operation + suffix_name
        if sibling not in OPERATIONS:
            continue
        spec = dict(canonical[operation])
        query = dict(resolve(spec.get("query")) or {})
        query.setdefault("limit", 2)
        if suffix == ".partial.json":
            query["fields"] = ",".join(fields_of(sibling)[:3])
        spec["query"] = query
        run(sibling, 200, examples[operation]["responses"]["200"][0]["summary"], **spec)


def first(path, **query):
    status, _, value = call("GET", f"/api/v1/{path}?" + urllib.parse.urlencode({**query, "limit": 1}), token=ADMIN)
    if status != 200 or not value["items"]:
        sys.exit(f"seed: nothing at {path} {query}: {status} {value}")
    return value["items"][0]


def put(name):
    """A `keep` that remembers the record's id as `name`."""
    return lambda value: ids.__setitem__(name, value["id"])


# What the seed holds, found once: 玉环市 (331083), its document, sections, a leader, a unit, an item.
ids["city"] = call("GET", "/api/v1/cities/331083")[2]["id"]
ids["item"] = first("work-items", city="331083", leader="陈威")["id"]
ids["project"] = first("livelihood-projects", city="331083")["id"]
ids["document"] = first("documents", city="331083")["id"]
ids["section"] = first("sections", document=ids["document"])["id"]
ids["leader"] = first("leaders", city="331083")["id"]
ids["unit"] = first("units", city="331083")["id"]
ids["editor"] = next(u["id"] for u in call("GET", "/api/v1/users?limit=50", token=ADMIN)[2]["items"] if u["role"] == "editor")
item = call("GET", f"/api/v1/work-items/{ids['item']}")[2]
project = call("GET", f"/api/v1/livelihood-projects/{ids['project']}")[2]
lead_unit = item["units"][0]["name"]
project_unit = project["units"][0]["name"]

NEW_CITY = {"code": "331081", "name": "温岭市", "name_en": "Wenling", "province": "浙江省", "prefecture": "台州市"}
SEED_DOC_NUMBER = json.load(open("data/yuhuan-2021-9.json", encoding="utf-8"))["document"]["doc_number"]
NEW_DOCUMENT = {
    "city": "331083",
    "doc_number": "玉政办发〔2021〕15号",
    "title": "关于印发玉环市2021年城市书房建设实施方案的通知",
    "issuer": "玉环市人民政府办公室",
    "issued_on": "2021-05-20",
    "published_at": "2021-05-24T09:30:00+08:00",
    "recipients": "各乡镇人民政府,各街道办事处,市政府直属各单位",
    "disclosure": "此件公开发布",
}
new_section = lambda i: {"document": i["new_document"], "number": 1, "kind": "work_item", "title": "2021年城市书房建设任务分解", "period": "2021"}
NEW_LEADER = {"city": "331083", "name": "林晓东", "title": "副市长"}
NEW_UNIT = {"city": "331083", "name": "市图书馆"}
new_work_item = {
    "section": item["section"]["id"],
    "group": {"number": item["group"]["number"], "heading": item["group"]["heading"]},
    "seq": 400,
    "content": "新建城市书房5家，每家藏书不少于1万册。",
    "leader": item["leader"]["name"],
    "units": [{"unit": u["name"], "role": u["role"]} for u in item["units"]],
}
new_project = {
    "section": project["section"]["id"],
    "seq": 400,
    "content": "改造提升老旧小区3个，惠及居民1200户。",
    "leader": project["leader"]["name"] if project.get("leader") else None,
    "units": [{"unit": u["name"], "role": u["role"]} for u in project["units"]],
}
if new_project["leader"] is None:
    del new_project["leader"]
NEW_USER = {"username": "yuhuan-editor", "password": "yuhuan-editor-2021", "role": "editor", "city": "331083"}
report = lambda unit, progress, text: {"unit": unit, "as_of": "2021-06-30", "status": "in_progress", "progress": progress, "text": text}
NO_SUCH_UNIT = [{"unit": "市城市书房管理中心", "role": "lead"}]

def small_seed_file(doc_number):
    """The seed file of 玉环市, cut to its first group's first two items, under `doc_number`."""
    whole = json.load(open("data/yuhuan-2021-9.json", encoding="utf-8"))
    section = whole["sections"][0]
    group = {**section["groups"][0], "items": section["groups"][0]["items"][:2]}
    named = {group.get("leader")} | {i.get("leader") for i in group["items"]}
    return {
        **whole,
        "document": {**whole["document"], "doc_number": doc_number},
        "leaders": [leader for leader in whole["leaders"] if leader["name"] in named],
        "sections": [{**section, "groups": [group]}],
    }


seed_file = small_seed_file("玉政办发〔2021〕16号")
imported_before = small_seed_file(json.load(open("data/yuhuan-2021-9.json", encoding="utf-8"))["document"]["doc_number"])
notice = open("data/notices/yuhuan-2021-9.txt", encoding="utf-8").read()

A = {"token": ADMIN}
CALLS = [
    # Landing, health, problems: public and fixed.
    ("landing", 200, "What the API is, with the collections' counts", {}),
    ("health_live", 200, "The process is up", {}),
    ("health_ready", 200, "The database answers", {}),
    ("metrics", 200, "Prometheus metrics", {}),
    ("list_problem_types", 200, "Every problem type", {}),
    ("get_problem_type", 200, "The page of one problem type", {"id": "not-found"}),
    ("create_token", 200, "An admin's token", {"body": {"username": "admin", "password": PASSWORD}}),
    ("create_token", 401, "A wrong password", {"body": {"username": "admin", "password": "wrong-password"}}),
    ("create_token", 422, "A blank username", {"body": {"username": "", "password": PASSWORD}, "show_request": False}),
    # Lists and single records of the seed.
    ("list_cities", 200, "The cities", {"query": {"limit": 2}}),
    ("get_city", 200, "玉环市, by its admin code", {"id": "331083"}),
    ("list_documents", 200, "玉环市's documents", {"query": {"city": "331083", "limit": 1}}),
    ("get_document", 200, "A document of 玉环市", {"id": lambda i: i["document"]}),
    ("list_sections", 200, "The sections of a document of 玉环市", {"query": {"document": lambda i: i["document"], "limit": 2}}),
    ("get_section", 200, "A section of 玉环市's work plan", {"id": lambda i: i["section"]}),
    ("list_leaders", 200, "玉环市's leaders", {"query": {"city": "331083", "limit": 2}}),
    ("get_leader", 200, "A leader of 玉环市", {"id": lambda i: i["leader"]}),
    ("list_units", 200, "玉环市's units", {"query": {"city": "331083", "limit": 2}}),
    ("get_unit", 200, "A unit of 玉环市", {"id": lambda i: i["unit"]}),
    ("list_work_items", 200, "The first work item 陈威 leads in 玉环市", {"query": {"city": "331083", "leader": "陈威", "limit": 1}}),
    ("get_work_item", 200, "A work item of 玉环市", {"id": lambda i: i["item"]}),
    ("list_livelihood_projects", 200, "玉环市's first livelihood project", {"query": {"city": "331083", "limit": 1}}),
    ("get_livelihood_project", 200, "A livelihood project of 玉环市", {"id": lambda i: i["project"]}),
    ("list_users", 200, "The first accounts", {"query": {"limit": 2}, **A}),
    ("get_user", 200, "An editor of 乐清市", {"id": lambda i: i["editor"], **A}),
    # Stats and feeds over the seed: each grouping once.
    *[
        ("work_item_stats", 200, f"The work items 陈威 leads in 玉环市, by {by}", {"query": {"city": "331083", "leader": "陈威", "group_by": by}})
        for by in ["status", "leader", "unit", "period", "document", "city"]
    ],
    ("livelihood_project_stats", 200, "玉环市's livelihood projects by category", {"query": {"city": "331083", "group_by": "category"}}),
    ("livelihood_project_stats", 200, "玉环市's livelihood projects by status", {"query": {"city": "331083", "group_by": "status"}}),
    ("work_item_feed", 200, "The latest work item of 玉环市", {"query": {"city": "331083", "limit": 1}}),
    ("livelihood_project_feed", 200, "The latest livelihood project of 玉环市", {"query": {"city": "331083", "limit": 1}}),
    ("document_feed", 200, "The latest documents", {"query": {"limit": 1}}),
    # Progress: a PATCH of the progress alone first (Swagger UI's "Try it out" sends the first).
    ("patch_work_item", 422, "A unit the city does not have", {"id": lambda i: i["item"], "body": {"units": NO_SUCH_UNIT}, "if_match": True, **A}),
    ("patch_work_item", 200, "Progress set to 40", {"id": lambda i: i["item"], "body": {"progress": 40}, "if_match": True, **A}),
    ("patch_livelihood_project", 422, "A unit the city does not have", {"id": lambda i: i["project"], "body": {"units": NO_SUCH_UNIT}, "if_match": True, **A}),
    ("patch_livelihood_project", 200, "Progress set to 40", {"id": lambda i: i["project"], "body": {"progress": 40}, "if_match": True, **A}),
    # Reports: a unit's report on each item, a correction, the lists, the stats, the missing ones.
    ("create_work_item_report", 201, "The lead unit reports at the end of June", {"id": lambda i: i["item"], "body": report(lead_unit, 45, "已完成城市书房选址3处，其中2处进入装修阶段。"), **A}, put("report")),
    ("create_work_item_report", 422, "A unit the item does not have", {"id": lambda i: i["item"], "body": report("市城市书房管理中心", 45, "已完成选址。"), **A}),
    ("create_livelihood_project_report", 201, "A unit reports at the end of June", {"id": lambda i: i["project"], "body": report(project_unit, 50, "已完成项目招投标，6月中旬开工。"), **A}, put("project_report")),
    # A body out of the schema (its request is not shown: examples validate against their schemas).
    ("patch_report", 422, "Progress over 100", {"id": lambda i: i["report"], "body": {"progress": 140}, "show_request": False, "if_match": True, **A}),
    ("patch_report", 200, "Progress corrected to 50", {"id": lambda i: i["report"], "body": {"progress": 50}, "if_match": True, **A}),
    ("get_report", 200, "A report on a work item of 玉环市", {"id": lambda i: i["report"]}),
    ("list_reports", 200, "玉环市's reports", {"query": {"city": "331083", "limit": 1}}),
    ("list_work_item_reports", 200, "The reports on a work item", {"id": lambda i: i["item"]}),
    ("list_livelihood_project_reports", 200, "The reports on a livelihood project", {"id": lambda i: i["project"]}),
    ("list_missing_reports", 200, "Items of 玉环市 with no report for the second quarter", {"query": {"city": "331083", "period": "2021-Q2", "limit": 1}}),
    ("report_trends", 200, "玉环市's reports by month", {"query": {"city": "331083", "interval": "month"}}),
    *[
        ("report_trends", 200, f"Reports by quarter and {by}", {"query": {"interval": "quarter", "group_by": by}})
        for by in ["city", "unit", "leader"]
    ],
    ("report_feed", 200, "The latest report", {"query": {"limit": 1}}),
    ("list_report_revisions", 200, "A report and its correction", {"id": lambda i: i["report"]}),
    ("delete_report", 204, "The report withdrawn", {"id": lambda i: i["project_report"], "if_match": True, **A}),
    # Creates, a change of one field, a replacement and a deletion of what was created.
    ("create_city", 201, "A new city", {"body": NEW_CITY, **A}, put("new_city")),
    ("create_city", 409, "A city with this code exists", {"body": NEW_CITY, **A}),
    ("create_city", 422, "A code that is no admin code", {"body": {**NEW_CITY, "code": "33108"}, "show_request": False, **A}),
    ("patch_city", 200, "Monthly reports", {"id": lambda i: i["city"], "body": {"reporting_cycle": "monthly"}, "if_match": True, **A}),
    ("patch_city", 409, "The code of another city", {"id": lambda i: i["new_city"], "body": {"code": "330382"}, "if_match": True, **A}),
    ("replace_city", 200, "The city's English name corrected", {"id": lambda i: i["new_city"], "body": {**NEW_CITY, "name_en": "Wenling City"}, "if_match": True, **A}),
    ("replace_city", 409, "The code of another city", {"id": lambda i: i["new_city"], "body": {**NEW_CITY, "code": "331083"}, "if_match": True, **A}),
    ("create_document", 201, "A new notice of 玉环市", {"body": NEW_DOCUMENT, **A}, put("new_document")),
    ("create_document", 409, "This document number exists", {"body": NEW_DOCUMENT, **A}),
    ("create_document", 422, "A city that does not exist", {"body": {**NEW_DOCUMENT, "city": "999999"}, **A}),
    ("patch_document", 200, "The title corrected", {"id": lambda i: i["new_document"], "body": {"title": "关于印发玉环市2021年城市书房建设工作方案的通知"}, "if_match": True, **A}),
    ("patch_document", 409, "The number of another document of the city", {"id": lambda i: i["new_document"], "body": {"doc_number": SEED_DOC_NUMBER}, "if_match": True, **A}),
    ("replace_document", 409, "The number of another document of the city", {"id": lambda i: i["new_document"], "body": {**NEW_DOCUMENT, "doc_number": SEED_DOC_NUMBER}, "if_match": True, **A}),
    ("replace_document", 200, "The whole notice", {"id": lambda i: i["new_document"], "body": {**NEW_DOCUMENT, "issued_on": "2021-05-21"}, "if_match": True, **A}),
    ("create_section", 201, "The plan attached to the new notice", {"body": new_section, **A}, put("new_section")),
    ("create_section", 409, "This number exists in the document", {"body": new_section, **A}),
    ("patch_section", 200, "The title corrected", {"id": lambda i: i["new_section"], "body": {"title": "2021年城市书房建设任务清单"}, "if_match": True, **A}),
    ("replace_section", 200, "The whole section", {"id": lambda i: i["new_section"], "body": lambda i: {**new_section(i), "period": "2021-2022"}, "if_match": True, **A}),
    ("create_leader", 201, "A new vice mayor", {"body": NEW_LEADER, **A}, put("new_leader")),
    ("create_leader", 409, "This leader exists", {"body": NEW_LEADER, **A}),
    ("patch_leader", 200, "A new title", {"id": lambda i: i["new_leader"], "body": {"title": "常务副市长"}, "if_match": True, **A}),
    ("patch_leader", 409, "The name of another leader of the city", {"id": lambda i: i["new_leader"], "body": {"name": "陈威"}, "if_match": True, **A}),
    ("replace_leader", 409, "The name of another leader of the city", {"id": lambda i: i["new_leader"], "body": {**NEW_LEADER, "name": "陈威"}, "if_match": True, **A}),
    ("replace_leader", 200, "The whole leader", {"id": lambda i: i["new_leader"], "body": {**NEW_LEADER, "title": "市委常委、副市长"}, "if_match": True, **A}),
    ("create_unit", 201, "A new unit", {"body": NEW_UNIT, **A}, put("new_unit")),
    ("create_unit", 409, "This unit exists", {"body": NEW_UNIT, **A}),
    ("patch_unit", 200, "The unit renamed", {"id": lambda i: i["new_unit"], "body": {"name": "市图书馆（市城市书房管理中心）"}, "if_match": True, **A}),
    ("patch_unit", 409, "The name of another unit of the city", {"id": lambda i: i["new_unit"], "body": {"name": lead_unit}, "if_match": True, **A}),
    ("replace_unit", 409, "The name of another unit of the city", {"id": lambda i: i["new_unit"], "body": {**NEW_UNIT, "name": lead_unit}, "if_match": True, **A}),
    ("replace_unit", 200, "The whole unit", {"id": lambda i: i["new_unit"], "body": {**NEW_UNIT, "name": "玉环市图书馆"}, "if_match": True, **A}),
    ("create_work_item", 201, "A new work item of 玉环市", {"body": new_work_item, **A}, put("new_item")),
    ("create_work_item", 409, "This number exists in the section", {"body": new_work_item, **A}),
    ("create_work_item", 422, "A unit the city does not have", {"body": {**new_work_item, "seq": 401, "units": NO_SUCH_UNIT}, **A}),
    ("replace_work_item", 409, "The number of another item of the group", {"id": lambda i: i["new_item"], "body": {**new_work_item, "seq": item["seq"]}, "if_match": True, **A}),
    ("replace_work_item", 200, "The whole work item", {"id": lambda i: i["new_item"], "body": {**new_work_item, "content": "新建城市书房6家，每家藏书不少于1万册。"}, "if_match": True, **A}),
    ("replace_work_item", 422, "A unit the city does not have", {"id": lambda i: i["new_item"], "body": {**new_work_item, "units": NO_SUCH_UNIT}, "if_match": True, **A}),
    ("create_livelihood_project", 201, "A new livelihood project of 玉环市", {"body": new_project, **A}, put("new_project")),
    ("create_livelihood_project", 409, "This number exists in the section", {"body": new_project, **A}),
    ("create_livelihood_project", 422, "A unit the city does not have", {"body": {**new_project, "seq": 401, "units": NO_SUCH_UNIT}, **A}),
    ("replace_livelihood_project", 409, "The number of another project of the section", {"id": lambda i: i["new_project"], "body": {**new_project, "seq": project["seq"]}, "if_match": True, **A}),
    ("replace_livelihood_project", 200, "The whole project", {"id": lambda i: i["new_project"], "body": {**new_project, "content": "改造提升老旧小区4个，惠及居民1500户。"}, "if_match": True, **A}),
    ("create_user", 201, "An editor of 玉环市", {"body": NEW_USER, **A}, put("new_user")),
    ("create_user", 409, "This username exists", {"body": NEW_USER, **A}),
    ("create_user", 422, "A city that does not exist", {"body": {**NEW_USER, "username": "no-city", "city": "999999"}, **A}),
    ("patch_user", 200, "The account disabled", {"id": lambda i: i["new_user"], "body": {"disabled": True}, "if_match": True, **A}),
    ("replace_user", 200, "The whole account", {"id": lambda i: i["new_user"], "body": {**NEW_USER, "disabled": False}, "if_match": True, **A}),
    # Revisions, now that there are some.
    ("list_city_revisions", 200, "玉环市's reporting cycle changed", {"id": lambda i: i["city"]}),
    ("list_document_revisions", 200, "A notice created and corrected", {"id": lambda i: i["new_document"]}),
    ("list_section_revisions", 200, "A section created and corrected", {"id": lambda i: i["new_section"]}),
    ("list_leader_revisions", 200, "A leader created and given a title", {"id": lambda i: i["new_leader"]}),
    ("list_unit_revisions", 200, "A unit created and renamed", {"id": lambda i: i["new_unit"]}),
    ("list_work_item_revisions", 200, "A work item's progress set", {"id": lambda i: i["item"]}),
    ("list_livelihood_project_revisions", 200, "A project's progress set", {"id": lambda i: i["project"]}),
    ("list_user_revisions", 200, "An account created and disabled", {"id": lambda i: i["new_user"], **A}),
    ("list_changes", 200, "The first two changes to work items", {"query": {"resource_type": "work-items", "limit": 2, "since": 0}}),
    # Deletions of what was created; a deletion refused while others refer to the record.
    ("delete_section", 409, "The section holds items", {"id": lambda i: i["section"], "if_match": True, **A}),
    ("delete_unit", 409, "Items name the unit", {"id": lambda i: i["unit"], "if_match": True, **A}),
    ("delete_leader", 409, "Items name the leader", {"id": lambda i: i["leader"], "if_match": True, **A}),
    ("delete_city", 409, "The city has documents", {"id": lambda i: i["city"], "if_match": True, **A}),
    ("delete_document", 409, "The document has sections (cascade=true deletes them too)", {"id": lambda i: i["document"], "if_match": True, **A}),
    ("delete_work_item", 204, "The new work item deleted", {"id": lambda i: i["new_item"], "if_match": True, **A}),
    ("delete_livelihood_project", 204, "The new project deleted", {"id": lambda i: i["new_project"], "if_match": True, **A}),
    ("delete_section", 204, "The new section deleted", {"id": lambda i: i["new_section"], "if_match": True, **A}),
    ("delete_document", 204, "The new notice deleted", {"id": lambda i: i["new_document"], "if_match": True, **A}),
    ("delete_leader", 204, "The new leader deleted", {"id": lambda i: i["new_leader"], "if_match": True, **A}),
    ("delete_unit", 204, "The new unit deleted", {"id": lambda i: i["new_unit"], "if_match": True, **A}),
    ("delete_user", 204, "The new account deleted", {"id": lambda i: i["new_user"], "if_match": True, **A}),
    ("delete_city", 204, "The new city deleted", {"id": lambda i: i["new_city"], "if_match": True, **A}),
    # Imports: a seed file and a published notice, as dry runs; the seed file again, for real.
    ("create_import", 200, "A file in the seed format (one group of 玉环市's plan), checked and not saved", {"query": {"dry_run": "true"}, "body": seed_file, **A}),
    ("create_import", 200, "A published notice's text, parsed and not saved", {"query": {"dry_run": "true", "city": "331083"}, "text": notice, "media_type": "text/plain", **A}),
    ("create_import", 200, "Part of an imported document again: nothing changes, the rest is left alone", {"body": imported_before, **A}),
]


for operation, status, summary, spec, *keep in CALLS:
    if operation not in OPERATIONS:
        sys.exit(f"{operation} is no operation of the document")
    run(operation, status, summary, keep[0] if keep else None, **spec)

# One 429, shown wherever one is documented: logins are limited hardest, so a few wrong passwords.
for _ in range(30):
    status, _, too_many = call("POST", "/api/v1/auth/token", {"username": "admin", "password": "wrong-password"})
    if status == 429:
        break
else:
    sys.exit("no 429 after 30 failed logins")
for operation in OPERATIONS:
    if documented(operation, 429):
        record(operation, 429, "Too many requests: wait Retry-After seconds", too_many)

json.dump(examples, sys.stdout, ensure_ascii=False, indent=2)
print()
