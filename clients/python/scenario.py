#!/usr/bin/env python3
"""A work plan's life, end to end, through the Python client generated from openapi/openapi.json.

Run by `.ci/contract client`, which generates the client as the importable package `client`
(openapi-python-client, `--meta none`), starts a fresh server and sets:
  DUBAN_URL             the server's base URL, e.g. http://127.0.0.1:8080
  DUBAN_ADMIN_PASSWORD  the password of the admin user `contract-admin`
Every request goes through the generated `api.<tag>.<operation_id>.sync_detailed(...)` functions and
models; no raw HTTP. `.ci/contract client` type-checks it first with `mypy --strict` against the
generated package: parsed bodies are narrowed to their model with isinstance (`expect`). Prints one
line per step, then `scenario: N passed, 0 failed`; exits 1 at the first failing step, naming it and
why.
"""

from __future__ import annotations

import datetime
import os
import re
import sys
import traceback
from typing import Any, Callable, TypeVar

from client import AuthenticatedClient, Client
from client.api.auth import create_token
from client.api.changes import list_changes
from client.api.documents import create_document, delete_document, get_document
from client.api.feeds import work_item_feed
from client.api.sections import create_section
from client.api.stats import work_item_stats
from client.api.work_items import (
    create_work_item,
    delete_work_item,
    get_work_item,
    list_work_item_revisions,
    list_work_items,
    patch_work_item,
)
from client.models.change_out_work_items import ChangeOutWorkItems
from client.models.changes_out import ChangesOut
from client.models.document_in import DocumentIn
from client.models.document_out import DocumentOut
from client.models.group_by import GroupBy
from client.models.group_in import GroupIn
from client.models.item_kind import ItemKind
from client.models.item_patch import ItemPatch
from client.models.json_feed_work_items import JsonFeedWorkItems
from client.models.list_work_items_sort_item import ListWorkItemsSortItem
from client.models.page_revision_out import PageRevisionOut
from client.models.page_work_item_out import PageWorkItemOut
from client.models.problem import Problem
from client.models.section_in import SectionIn
from client.models.section_detail_out import SectionDetailOut
from client.models.stats_status import StatsStatus
from client.models.status import Status
from client.models.token_out import TokenOut
from client.models.token_request import TokenRequest
from client.models.unit_assignment_in import UnitAssignmentIn
from client.models.unit_role import UnitRole
from client.models.work_item_in import WorkItemIn
from client.models.work_item_out import WorkItemOut
from client.types import UNSET, Response, Unset

USERNAME = "contract-admin"
CITY = "330382"
LEADER = "何学考"
UNIT = "市发改局"
STRONG_ETAG = re.compile(r'^"[^",]*"$')
STATUSES = [s.value for s in Status]


class StepFailed(Exception):
    pass


def check(cond: Any, why: str) -> None:
    if not cond:
        raise StepFailed(why)


def body_of(resp: Response[Any]) -> str:
    return resp.content[:400].decode("utf-8", "replace")


T = TypeVar("T")


def expect_status(resp: Response[Any], status: int, ctype: str | None = "application/json") -> None:
    """The status code and content type of a response."""
    check(
        resp.status_code == status,
        f"status {int(resp.status_code)}, expected {status}; body: {body_of(resp)}",
    )
    if ctype is not None:
        got = resp.headers.get("content-type", "")
        check(got.split(";")[0].strip() == ctype, f"content-type {got!r}, expected {ctype}")


def expect(resp: Response[Any], status: int, model: type[T], ctype: str | None = "application/json") -> T:
    """The status code, content type and parsed model of a response; returns the parsed body."""
    expect_status(resp, status, ctype)
    parsed = resp.parsed
    if not isinstance(parsed, model):
        raise StepFailed(f"parsed body is {type(parsed).__name__}, expected {model.__name__}")
    return parsed


def expect_etag(resp: Response[Any]) -> str:
    etag = resp.headers.get("etag")
    if etag is None:
        raise StepFailed("no ETag header")
    check(STRONG_ETAG.match(etag), f"ETag {etag!r} is not a strong entity tag")
    return etag


def expect_problem(resp: Response[Any], status: int) -> Problem:
    """An RFC 9457 problem answer with this status."""
    problem = expect(resp, status, Problem, ctype="application/problem+json")
    check(problem.status == status, f"problem.status {problem.status}, expected {status}")
    check(problem.type_ and problem.title and problem.detail, f"incomplete problem: {body_of(resp)}")
    return problem


passed = 0


def step(label: str, fn: Callable[[], str | None]) -> None:
    global passed
    try:
        detail = fn()
    except StepFailed as e:
        print(f"FAIL {label}: {e}")
        print(f"scenario: {passed} passed, 1 failed")
        sys.exit(1)
    except Exception as e:  # a client exception (connection, parsing) fails the step too
        traceback.print_exc()
        print(f"FAIL {label}: {type(e).__name__}: {e}")
        print(f"scenario: {passed} passed, 1 failed")
        sys.exit(1)
    passed += 1
    print(f"ok   {label}" + (f": {detail}" if detail else ""))


def main() -> None:
    base_url = os.environ["DUBAN_URL"].rstrip("/")
    password = os.environ["DUBAN_ADMIN_PASSWORD"]
    anon = Client(base_url=base_url)
    st: dict[str, Any] = {}
    stamp = f"{datetime.datetime.now():%Y%m%d%H%M%S}-{os.getpid()}"
    tag = f"契约{stamp.replace('-', '')}"

    # 1. Log in.
    def login() -> str:
        resp = create_token.sync_detailed(client=anon, body=TokenRequest(username=USERNAME, password=password))
        tok = expect(resp, 200, TokenOut)
        check(tok.access_token, "empty access_token")
        check(tok.token_type == "Bearer", f"token_type {tok.token_type!r}")
        check(tok.expires_in > 0, f"expires_in {tok.expires_in}")
        st["api"] = AuthenticatedClient(base_url=base_url, token=tok.access_token)
        return f"{tok.token_type} token, expires in {tok.expires_in}s"

    step("1 create_token as contract-admin", login)
    api: AuthenticatedClient = st["api"]

    # 2. A document.
    def new_document() -> str:
        doc_in = DocumentIn(
            city=CITY,
            doc_number=f"乐政办函〔{stamp}〕1号",
            title=f"生成客户端契约测试工作计划 {stamp}",
            issuer="乐清市人民政府办公室",
            issued_on=datetime.date(2024, 3, 1),
        )
        resp = create_document.sync_detailed(client=api, body=doc_in)
        doc = expect(resp, 201, DocumentOut)
        check(doc.doc_number == doc_in.doc_number, f"doc_number {doc.doc_number!r}")
        check(doc.city.code == CITY, f"city {doc.city.code!r}")
        check(doc.issued_on == doc_in.issued_on, f"issued_on {doc.issued_on}")
        check(doc.sections == [], f"sections {doc.sections}")
        loc = resp.headers.get("location", "")
        check(loc.endswith(f"/api/v1/documents/{doc.id}"), f"Location {loc!r} does not name the document")
        expect_etag(resp)
        st["doc"] = doc.id
        return f"{doc.id}, Location {loc}"

    step("2 create_document", new_document)

    # 3. A section of work items.
    def new_section() -> str:
        resp = create_section.sync_detailed(
            client=api,
            body=SectionIn(document=st["doc"], number=1, kind=ItemKind.WORK_ITEM, title="重点工作任务清单", period="2024"),
        )
        sec = expect(resp, 201, SectionDetailOut)
        check(sec.number == 1 and sec.kind == ItemKind.WORK_ITEM and sec.period == "2024", f"section {sec.to_dict()}")
        check(resp.headers.get("location", "").endswith(f"/api/v1/sections/{sec.id}"), "Location missing or wrong")
        expect_etag(resp)
        st["section"] = sec.id
        return str(sec.id)

    step("3 create_section", new_section)

    # 4. Two work items.
    contents = [f"建设智慧停车示范点{tag}，新增公共泊位500个", f"推进老旧小区改造，完成{tag}项目"]
    st["items"], st["etags"] = [], []
    for seq, content in enumerate(contents, start=1):

        def new_item(seq: int = seq, content: str = content) -> str:
            body = WorkItemIn(
                section=st["section"],
                group=GroupIn(number=1, heading="何学考常务副市长牵头重点工作"),
                seq=seq,
                content=content,
                leader=LEADER,
                units=[UnitAssignmentIn(unit=UNIT, role=UnitRole.LEAD)],
            )
            resp = create_work_item.sync_detailed(client=api, body=body)
            item = expect(resp, 201, WorkItemOut)
            check(item.content == content and item.seq == seq, f"item {item.seq} {item.content!r}")
            check(item.document_id == st["doc"], f"document_id {item.document_id}")
            check(item.section.id == st["section"], f"section {item.section.id}")
            if item.leader is None:
                raise StepFailed("no leader")
            check(item.leader.name == LEADER, f"leader {item.leader.name!r}")
            check([(u.name, u.role) for u in item.units] == [(UNIT, UnitRole.LEAD)], f"units {item.units}")
            check(item.status == Status.NOT_STARTED and item.progress == 0, f"{item.status} {item.progress}")
            check(item.group.number == 1, f"group {item.group.number}")
            check(resp.headers.get("location", "").endswith(f"/api/v1/work-items/{item.id}"), "Location wrong")
            st["items"].append(item.id)
            st["etags"].append(expect_etag(resp))
            return str(item.id)

        step(f"4{'ab'[seq - 1]} create_work_item seq {seq}", new_item)

    # 5. Lists with filters.
    def list_by_document() -> str:
        page = expect(list_work_items.sync_detailed(client=anon, document=st["doc"]), 200, PageWorkItemOut)
        check(page.total == 2, f"total {page.total}")
        check([i.id for i in page.items] == st["items"], f"items {[i.id for i in page.items]}")
        check(page.next_cursor is None, f"next_cursor {page.next_cursor!r}")
        return "total 2"

    def list_by_leader() -> str:
        resp = list_work_items.sync_detailed(client=anon, leader=LEADER, document=st["doc"])
        page = expect(resp, 200, PageWorkItemOut)
        check(page.total == 2, f"total {page.total}")
        check(all(i.leader is not None and i.leader.name == LEADER for i in page.items), "an item with another leader")
        return "total 2"

    def list_by_q() -> str:
        q = f"智慧停车示范点{tag}"
        page = expect(list_work_items.sync_detailed(client=anon, q=q), 200, PageWorkItemOut)
        check(page.total is not None and page.total >= 1, f"total {page.total}")
        check(all(q in i.content or q in (i.remarks or "") for i in page.items), "an item without q")
        check(st["items"][0] in [i.id for i in page.items], "the first item is not found")
        return f"total {page.total}"

    def list_sorted_paged() -> str:
        resp = list_work_items.sync_detailed(client=anon, document=st["doc"], sort=[ListWorkItemsSortItem("-seq")], limit=1)
        page = expect(resp, 200, PageWorkItemOut)
        check(page.total == 2 and page.limit == 1, f"total {page.total}, limit {page.limit}")
        check([i.seq for i in page.items] == [2], f"seqs {[i.seq for i in page.items]}")
        check(isinstance(page.next_cursor, str) and page.next_cursor, f"next_cursor {page.next_cursor!r}")
        check(page.links.first, "no links.first")
        next_link = page.links.next_
        if not isinstance(next_link, str) or not next_link:
            raise StepFailed(f"links.next {next_link!r}")
        check("cursor=" in next_link or "offset=" in next_link, f"links.next {next_link!r}")
        # The cursor leads to the second and last page.
        if page.next_cursor is None:
            raise StepFailed("no next_cursor")
        resp = list_work_items.sync_detailed(
            client=anon, document=st["doc"], sort=[ListWorkItemsSortItem("-seq")], limit=1, cursor=page.next_cursor
        )
        page2 = expect(resp, 200, PageWorkItemOut)
        check([i.seq for i in page2.items] == [1], f"page 2 seqs {[i.seq for i in page2.items]}")
        check(page2.next_cursor is None, f"page 2 next_cursor {page2.next_cursor!r}")
        check(page2.links.next_ is None or isinstance(page2.links.next_, Unset), f"page 2 links.next {page2.links.next_!r}")
        return "seq 2, then seq 1 by next_cursor"

    step("5a list_work_items document=<doc>", list_by_document)
    step("5b list_work_items leader=何学考 document=<doc>", list_by_leader)
    step("5c list_work_items q=<word of the content>", list_by_q)
    step("5d list_work_items sort=-seq limit=1, next_cursor, links", list_sorted_paged)

    # 6. Update with If-Match.
    first = st["items"][0]

    def read_first() -> str:
        resp = get_work_item.sync_detailed(first, client=anon)
        item = expect(resp, 200, WorkItemOut)
        check(item.id == first, f"id {item.id}")
        etag = expect_etag(resp)
        check(etag == st["etags"][0], f"ETag {etag} differs from the one create answered {st['etags'][0]}")
        st["old_etag"] = etag
        return f"ETag {etag}"

    def patch_first() -> str:
        resp = patch_work_item.sync_detailed(
            first, client=api, body=ItemPatch(status=Status.IN_PROGRESS, progress=40), if_match=st["old_etag"]
        )
        item = expect(resp, 200, WorkItemOut)
        check(item.status == Status.IN_PROGRESS and item.progress == 40, f"{item.status} {item.progress}")
        check(
            item.content == contents[0] and item.leader is not None and item.leader.name == LEADER,
            "PATCH changed other fields",
        )
        etag = expect_etag(resp)
        check(etag != st["old_etag"], "the ETag did not change")
        st["new_etag"] = etag
        # A fresh read carries the new tag.
        again = get_work_item.sync_detailed(first, client=anon)
        expect(again, 200, WorkItemOut)
        check(expect_etag(again) == etag, "GET after PATCH shows another ETag")
        return f"new ETag {etag}"

    def patch_stale() -> str:
        resp = patch_work_item.sync_detailed(
            first, client=api, body=ItemPatch(progress=60), if_match=st["old_etag"]
        )
        problem = expect_problem(resp, 412)
        # Nothing changed.
        item = expect(get_work_item.sync_detailed(first, client=anon), 200, WorkItemOut)
        check(item.progress == 40, f"progress {item.progress} after a refused PATCH")
        return f"412 {problem.title}"

    def create_invalid() -> str:
        body = WorkItemIn(
            section=st["section"],
            group=GroupIn(number=1),
            seq=3,
            content=f"{tag} 无效",
            units=[UnitAssignmentIn(unit=f"不存在的单位{tag}", role=UnitRole.LEAD)],
        )
        problem = expect_problem(create_work_item.sync_detailed(client=api, body=body), 422)
        errors = problem.errors
        if isinstance(errors, Unset) or not errors:
            raise StepFailed("a 422 without errors")
        fields = [e.field for e in errors]
        check("units[0].unit" in fields, f"fields {fields}")
        check(all(e.message for e in errors), "an error without a message")
        return f"422 fields {', '.join(fields)}"

    step("6a get_work_item: ETag", read_first)
    step("6b patch_work_item If-Match current: 200, new ETag", patch_first)
    step("6c patch_work_item If-Match stale: 412 problem+json", patch_stale)
    step("6d create_work_item unknown unit: 422 with field paths", create_invalid)

    # 7. Feed and stats.
    def feed() -> str:
        resp = work_item_feed.sync_detailed(client=anon, document=st["doc"])
        f = expect(resp, 200, JsonFeedWorkItems, ctype="application/feed+json")
        check(f.version == "https://jsonfeed.org/version/1.1", f"version {f.version!r}")
        check(len(f.items) == 2, f"{len(f.items)} items")
        check(sorted(i.id for i in f.items) == sorted(str(i) for i in st["items"]), f"ids {[i.id for i in f.items]}")
        check(all(i.url.endswith(f"/api/v1/work-items/{i.id}") for i in f.items), "an item's url")
        check(all(i.content_text for i in f.items), "an empty content_text")
        return f"{f.version}, 2 items"

    def stats() -> str:
        resp = work_item_stats.sync_detailed(client=anon, group_by=GroupBy.STATUS, document=st["doc"])
        # Stats are a oneOf by `group_by`: grouped by status, the client parses the status variant.
        s = expect(resp, 200, StatsStatus)
        check(s.group_by == GroupBy.STATUS.value, f"group_by {s.group_by}")
        check(s.total.count == 2, f"total.count {s.total.count}")
        by = s.total.by_status.to_dict()
        check(sorted(by) == sorted(STATUSES), f"by_status keys {sorted(by)}")
        check(by["in_progress"] == 1 and by["not_started"] == 1, f"by_status {by}")
        check(s.total.average_progress == 20.0, f"average_progress {s.total.average_progress}")
        keys = sorted(g.key.status for g in s.groups)
        check(keys == ["in_progress", "not_started"], f"group keys {keys}")
        return f"count 2, by_status {by}"

    step("7a work_item_feed document=<doc>", feed)
    step("7b work_item_stats group_by=status document=<doc>", stats)

    # 8. Revisions.
    def revisions() -> str:
        page = expect(list_work_item_revisions.sync_detailed(first, client=anon), 200, PageRevisionOut)
        check(page.total == 2, f"total {page.total}")
        actions = sorted(r.action for r in page.items)
        check(actions == ["create", "update"], f"actions {actions}")
        for r in page.items:
            check(r.actor.name == USERNAME, f"{r.action} by {r.actor.name!r}")
            check(r.resource_id == first and r.resource_type == "work-items", f"{r.resource_type} {r.resource_id}")
        update = next(r for r in page.items if r.action == "update")
        ch = update.changes.to_dict()
        check(ch.get("status") == {"before": "not_started", "after": "in_progress"}, f"status change {ch.get('status')}")
        check(ch.get("progress") == {"before": 0, "after": 40}, f"progress change {ch.get('progress')}")
        return "create and update by contract-admin"

    def changes() -> str:
        seen: list[str] = []
        since: str | Unset = UNSET
        for _ in range(100):
            resp = list_changes.sync_detailed(client=api, resource_type="work-items", limit=1000, since=since)
            batch = expect(resp, 200, ChangesOut)
            for change in batch.changes:
                # The change feed is a oneOf by resource_type: narrow to the work-item variant.
                if not isinstance(change, ChangeOutWorkItems):
                    raise StepFailed(f"a {type(change).__name__} in a work-items change feed")
                if change.resource_id != first:
                    continue
                check(change.actor.name == USERNAME, f"actor {change.actor.name!r}")
                if change.resource is None:
                    raise StepFailed(f"{change.action} without the resource")
                check(change.resource.id == first, f"resource {change.resource.id}")
                seen.append(f"{change.action.value}@{change.resource.progress}")
            since = batch.next_
            if not batch.has_more:
                break
        check(seen == ["create@0", "update@40"], f"changes {seen}")
        return ", ".join(seen)

    step("8 list_work_item_revisions", revisions)
    step("8b list_changes resource_type=work-items: the first item's create and update", changes)

    # 9. Delete.
    def delete_items() -> str:
        for id_, etag in zip(st["items"], [st["new_etag"], st["etags"][1]]):
            resp = delete_work_item.sync_detailed(id_, client=api, if_match=etag)
            expect_status(resp, 204, ctype=None)
            check(resp.content == b"", f"204 with a body: {body_of(resp)}")
            expect_problem(get_work_item.sync_detailed(id_, client=anon), 404)
        return "2 × 204, then 404"

    def delete_doc() -> str:
        resp = delete_document.sync_detailed(st["doc"], client=api, cascade=True)
        expect_status(resp, 204, ctype=None)
        check(resp.content == b"", f"204 with a body: {body_of(resp)}")
        return "204"

    def doc_gone() -> str:
        problem = expect_problem(get_document.sync_detailed(st["doc"], client=anon), 404)
        return f"404 {problem.title}"

    step("9a delete_work_item × 2 (If-Match)", delete_items)
    step("9b delete_document cascade=true", delete_doc)
    step("9c get_document: 404 problem+json", doc_gone)

    print(f"scenario: {passed} passed, 0 failed")


if __name__ == "__main__":
    main()
