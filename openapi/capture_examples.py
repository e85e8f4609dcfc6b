#!/usr/bin/env python3
"""Captures the OpenAPI document's examples from a live server over the seed documents.

    usage: DUBAN_URL=http://127.0.0.1:8080 ADMIN_TOKEN=… EDITOR_TOKEN=… \
           python3 openapi/capture_examples.py > api/src/http/examples.json

The server must hold the seed documents (`data/*.json`, loaded on first start) and run with
CLOCK_DATE=2021-06-30; EDITOR_TOKEN is an editor of 乐清市 (330382), who may not write to 玉环市.
Every request and answer below is real: the examples show what the server says, not what someone
thought it would. `openapi.rs` (`attach_examples`) puts them on their operations; `.ci/contract`
checks that each validates against its schema.
"""

import json
import os
import sys
import urllib.error
import urllib.request

BASE = os.environ["DUBAN_URL"].rstrip("/")
ADMIN = os.environ["ADMIN_TOKEN"]
EDITOR = os.environ["EDITOR_TOKEN"]
UNKNOWN = "01900000-0000-7000-8000-000000000000"


def call(method, path, body=None, token=None, headers=None):
    data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
    request = urllib.request.Request(BASE + path, data=data, method=method)
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request) as response:
            raw = response.read()
            headers = {name.lower(): value for name, value in response.headers.items()}
            return response.status, headers, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


examples = {}


def example(operation, status, summary, value, request=None):
    """Records `value` as `operation`'s answer with `status`, and `request` as an example of its
    body that leads there (once per body worth showing)."""
    entry = examples.setdefault(operation, {"responses": {}})
    entry["responses"][str(status)] = {"summary": summary, "value": value}
    if request is not None:
        entry.setdefault("request", {})[str(status)] = {"summary": summary, "value": request}


def expect(status, want, body):
    if status != want:
        sys.exit(f"expected {want}, got {status}: {body}")
    return body


# Lists, one item, stats, feed, change feed: 玉环市 (331083), as the seed has them.
query = "/api/v1/work-items?city=331083&leader=%E9%99%88%E5%A8%81&limit=1"
status, _, page = call("GET", query)
page = expect(status, 200, page)
example("list_work_items", 200, "The first work item 陈威 leads in 玉环市", page)
status, _, problem = call("GET", "/api/v1/work-items?limit=0&sort=colour")
example("list_work_items", 400, "A malformed parameter", expect(status, 400, problem))
item = page["items"][0]
status, _, one = call("GET", f"/api/v1/work-items/{item['id']}")
example("get_work_item", 200, "A work item of 玉环市", expect(status, 200, one))
status, _, problem = call("GET", f"/api/v1/work-items/{UNKNOWN}")
example("get_work_item", 404, "No work item has this id", expect(status, 404, problem))
status, _, stats = call("GET", "/api/v1/stats/work-items?city=331083&group_by=status")
example("work_item_stats", 200, "玉环市's work items by status", expect(status, 200, stats))
status, _, feed = call("GET", "/api/v1/feeds/work-items?city=331083&limit=1")
example("work_item_feed", 200, "The latest work item of 玉环市", expect(status, 200, feed))

# Writes: a progress update, refused as anonymous, as an editor of another city, with a stale tag,
# and with a value out of range; then a create and a create that breaks the rules.
status, headers, one = call("GET", f"/api/v1/work-items/{item['id']}")
etag = headers["etag"]
progress = {"progress": 40}
status, _, problem = call("PATCH", f"/api/v1/work-items/{item['id']}", progress)
example("patch_work_item", 401, "No bearer token", expect(status, 401, problem))
status, _, problem = call("PATCH", f"/api/v1/work-items/{item['id']}", progress, EDITOR, {"If-Match": etag})
example("patch_work_item", 403, "An editor of 乐清市 changing an item of 玉环市", expect(status, 403, problem))
# A body the schema allows (so the example validates) but the data refuses: no such unit.
unknown_unit = {"units": [{"unit": "市城市书房管理中心", "role": "lead"}]}
status, _, problem = call("PATCH", f"/api/v1/work-items/{item['id']}", unknown_unit, ADMIN, {"If-Match": etag})
example("patch_work_item", 422, "A unit the city does not have", expect(status, 422, problem), unknown_unit)
status, _, patched = call("PATCH", f"/api/v1/work-items/{item['id']}", progress, ADMIN, {"If-Match": etag})
example("patch_work_item", 200, "Progress set to 40", expect(status, 200, patched), progress)
status, _, problem = call("PATCH", f"/api/v1/work-items/{item['id']}", progress, ADMIN, {"If-Match": etag})
example("patch_work_item", 412, "A stale If-Match", expect(status, 412, problem))

new_item = {
    "section": one["section"]["id"],
    "group": {"number": one["group"]["number"], "heading": one["group"]["heading"]},
    "seq": 400,
    "content": "新建城市书房5家，每家藏书不少于1万册。",
    "leader": one["leader"]["name"],
    "units": [{"unit": u["name"], "role": u["role"]} for u in one["units"]],
}
status, _, created = call("POST", "/api/v1/work-items", new_item, ADMIN)
if status != 201:
    # The input names its fields differently from the output: say which, and stop.
    sys.exit(f"create: {status} {created}")
example("create_work_item", 201, "A new work item of 玉环市", created, new_item)
# Well-formed, but the city has no such unit.
broken = dict(new_item, seq=401, units=[{"unit": "市城市书房管理中心", "role": "lead"}])
status, _, problem = call("POST", "/api/v1/work-items", broken, ADMIN)
example("create_work_item", 422, "A unit the city does not have", expect(status, 422, problem), broken)

status, _, changes = call("GET", "/api/v1/changes?resource_type=work-items&limit=2&since=0")
example("list_changes", 200, "The first two changes to work items", expect(status, 200, changes))

json.dump(examples, sys.stdout, ensure_ascii=False, indent=2)
print()
