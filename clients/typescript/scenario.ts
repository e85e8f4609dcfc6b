// A work plan's life, end to end, through openapi-fetch typed by openapi-typescript from
// openapi/openapi.json (generated into generated/schema.d.ts by `.ci/contract typescript`, never
// committed). Compiled under tsc --strict --noUncheckedIndexedAccess --exactOptionalPropertyTypes
// with no type assertions, no unchecked types, no non-null assertions and no comments that silence
// the compiler (.ci/contract greps for each): every value is narrowed by a check.
//
// Environment (set by `.ci/contract typescript`):
//   DUBAN_URL             the server's base URL, e.g. http://127.0.0.1:8080
//   DUBAN_ADMIN_PASSWORD  the password of the admin user `contract-admin`
// Prints one line per step, then `scenario: N passed, 0 failed`; exits 1 at the first failing step.

import createClient from "openapi-fetch";
import type { components, paths } from "./generated/schema.js";

type Schemas = components["schemas"];
type Problem = Schemas["Problem"];

const USERNAME = "contract-admin";
const CITY = "330382";
const LEADER = "何学考";
const UNIT = "市发改局";
const STRONG_ETAG = /^"[^",]*"$/;

class StepFailed extends Error {}

function check(cond: boolean, why: string): asserts cond {
  if (!cond) {
    throw new StepFailed(why);
  }
}

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") {
    throw new Error(`${name} is not set`);
  }
  return value;
}

function mediaType(response: Response): string {
  return (response.headers.get("content-type") ?? "").split(";")[0]?.trim() ?? "";
}

function expectStatus(response: Response, status: number, ctype: string | null = "application/json"): void {
  check(response.status === status, `status ${response.status}, expected ${status}`);
  if (ctype !== null) {
    check(mediaType(response) === ctype, `content-type ${mediaType(response)}, expected ${ctype}`);
  }
}

function expectEtag(response: Response): string {
  const etag = response.headers.get("etag");
  check(etag !== null, "no ETag header");
  check(STRONG_ETAG.test(etag), `ETag ${etag} is not a strong entity tag`);
  return etag;
}

function expectProblem(response: Response, error: Problem | undefined, status: number): Problem {
  expectStatus(response, status, "application/problem+json");
  check(error !== undefined, `${status} without a problem body`);
  check(error.status === status, `problem.status ${error.status}, expected ${status}`);
  check(error.title !== "" && error.detail !== "", `incomplete problem ${JSON.stringify(error)}`);
  return error;
}

function describe(error: unknown): string {
  return error === undefined ? "" : `; body ${JSON.stringify(error).slice(0, 400)}`;
}

let passed = 0;

async function step(label: string, fn: () => Promise<string>): Promise<void> {
  let detail: string;
  try {
    detail = await fn();
  } catch (e) {
    if (!(e instanceof StepFailed) && e instanceof Error && e.stack !== undefined) {
      console.error(e.stack);
    }
    console.log(`FAIL ${label}: ${e instanceof Error ? e.message : String(e)}`);
    console.log(`scenario: ${passed} passed, 1 failed`);
    process.exit(1);
  }
  passed += 1;
  console.log(`ok   ${label}${detail === "" ? "" : `: ${detail}`}`);
}

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

async function main(): Promise<void> {
  const baseUrl = env("DUBAN_URL").replace(/\/+$/, "");
  const password = env("DUBAN_ADMIN_PASSWORD");
  const anon = createClient<paths>({ baseUrl });
  const stamp = `${new Date().toISOString().replace(/\D/g, "").slice(0, 14)}-${process.pid}`;
  const tag = `契约TS${stamp.replace("-", "")}`;

  // 1. Log in.
  let token = "";
  await step("1 create_token (contract-admin)", async () => {
    const { data, error, response } = await anon.POST("/api/v1/auth/token", {
      body: { username: USERNAME, password },
    });
    expectStatus(response, 200);
    check(data !== undefined, `no token${describe(error)}`);
    check(data.access_token !== "", "empty access_token");
    check(data.token_type === "Bearer", `token_type ${data.token_type}`);
    check(data.expires_in > 0, `expires_in ${data.expires_in}`);
    token = data.access_token;
    return `${data.token_type} token, expires in ${data.expires_in}s`;
  });
  const api = createClient<paths>({
    baseUrl,
    headers: { Authorization: `Bearer ${token}` },
  });

  // 2. Filtered lists on the seed data, one value per filter (not an array), and cursor paging.
  await step(`2a list_work_items city=${CITY} status=not_started (one value)`, async () => {
    const { data, error, response } = await anon.GET("/api/v1/work-items", {
      params: { query: { city: CITY, status: "not_started", limit: 5 } },
    });
    expectStatus(response, 200);
    check(data !== undefined, `no page${describe(error)}`);
    check(data.total !== null && data.total > 0, `total ${String(data.total)}`);
    check(data.items.length > 0 && data.items.length <= 5, `${data.items.length} items`);
    for (const item of data.items) {
      check(item.city.code === CITY, `item ${item.id} of city ${item.city.code}`);
      check(item.status === "not_started", `item ${item.id} is ${item.status}`);
    }
    check(response.headers.get("x-total-count") === String(data.total), "X-Total-Count differs from total");
    return `total ${data.total}, ${data.items.length} on the page`;
  });

  await step(`2b list_work_items city=${CITY} unit=${UNIT} (one value)`, async () => {
    const { data, error, response } = await anon.GET("/api/v1/work-items", {
      params: { query: { city: CITY, unit: UNIT } },
    });
    expectStatus(response, 200);
    check(data !== undefined, `no page${describe(error)}`);
    check(data.total !== null && data.total > 0, `total ${String(data.total)}`);
    for (const item of data.items) {
      check(
        item.units.some((u) => u.name === UNIT),
        `item ${item.id} has units ${item.units.map((u) => u.name).join(",")}`,
      );
    }
    return `total ${data.total}`;
  });

  let seedId = "";
  await step(`2c list_work_items city=${CITY} limit=3: next_cursor across 3 pages`, async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let total: number | null = null;
    const fetchPage = async (page: number, after: string | null): Promise<Schemas["Page_WorkItemOut"]> => {
      const query: paths["/api/v1/work-items"]["get"]["parameters"]["query"] =
        after === null ? { city: CITY, limit: 3 } : { city: CITY, limit: 3, cursor: after };
      const { data, error, response } = await anon.GET("/api/v1/work-items", { params: { query } });
      expectStatus(response, 200);
      check(data !== undefined, `page ${page}: no page${describe(error)}`);
      return data;
    };
    for (let page = 1; page <= 3; page += 1) {
      const data = await fetchPage(page, cursor);
      check(data.limit === 3, `page ${page}: limit ${data.limit}`);
      check(data.items.length === 3, `page ${page}: ${data.items.length} items`);
      for (const item of data.items) {
        check(item.city.code === CITY, `page ${page}: item of city ${item.city.code}`);
        check(!seen.includes(item.id), `page ${page}: item ${item.id} seen on an earlier page`);
        seen.push(item.id);
      }
      if (total === null) {
        total = data.total;
      } else {
        check(data.total === total, `page ${page}: total ${String(data.total)}, was ${total}`);
      }
      check(data.next_cursor !== null && data.next_cursor !== "", `page ${page}: no next_cursor`);
      const next = data.links.next;
      check(next !== undefined && (next.includes("cursor=") || next.includes("offset=")), `page ${page}: links.next ${String(next)}`);
      cursor = data.next_cursor;
    }
    const first = seen[0];
    check(first !== undefined, "no item seen");
    seedId = first;
    return `${seen.length} distinct items over 3 pages of total ${String(total)}`;
  });

  // 3. Create a document, a section and a work item (admin).
  let docId = "";
  await step("3a create_document", async () => {
    const body: Schemas["DocumentIn"] = {
      city: CITY,
      doc_number: `乐政办函〔${stamp}〕2号`,
      title: `TypeScript 契约测试工作计划 ${stamp}`,
      issuer: "乐清市人民政府办公室",
      issued_on: "2024-03-01",
    };
    const { data, error, response } = await api.POST("/api/v1/documents", { body });
    expectStatus(response, 201);
    check(data !== undefined, `no document${describe(error)}`);
    check(data.doc_number === body.doc_number, `doc_number ${data.doc_number}`);
    check(data.city.code === CITY, `city ${data.city.code}`);
    check(data.issued_on === "2024-03-01", `issued_on ${data.issued_on}`);
    check(data.sections.length === 0, `${data.sections.length} sections`);
    const location = response.headers.get("location") ?? "";
    check(location.endsWith(`/api/v1/documents/${data.id}`), `Location ${location}`);
    expectEtag(response);
    docId = data.id;
    return data.id;
  });

  let sectionId = "";
  await step("3b create_section", async () => {
    const { data, error, response } = await api.POST("/api/v1/sections", {
      body: { document: docId, number: 1, kind: "work_item", title: "重点工作任务清单", period: "2024" },
    });
    expectStatus(response, 201);
    check(data !== undefined, `no section${describe(error)}`);
    check(data.document_id === docId, `document_id ${data.document_id}`);
    check(data.number === 1 && data.kind === "work_item" && data.period === "2024", `section ${JSON.stringify(data)}`);
    check(data.item_count === 0, `item_count ${data.item_count}`);
    sectionId = data.id;
    return data.id;
  });

  const content = `建设智慧停车示范点${tag}，新增公共泊位500个`;
  let itemId = "";
  let createdEtag = "";
  await step("3c create_work_item", async () => {
    const { data, error, response } = await api.POST("/api/v1/work-items", {
      body: {
        section: sectionId,
        group: { number: 1, heading: "何学考常务副市长牵头重点工作" },
        seq: 1,
        content,
        leader: LEADER,
        units: [{ unit: UNIT, role: "lead" }],
      },
    });
    expectStatus(response, 201);
    check(data !== undefined, `no item${describe(error)}`);
    check(data.content === content && data.seq === 1, `item ${data.seq} ${data.content}`);
    check(data.document_id === docId && data.section.id === sectionId, "document or section differs");
    check(data.leader !== null && data.leader.name === LEADER, "leader differs");
    check(
      data.units.length === 1 && data.units[0]?.name === UNIT && data.units[0].role === "lead",
      `units ${JSON.stringify(data.units)}`,
    );
    check(data.status === "not_started" && data.progress === 0, `${data.status} ${data.progress}`);
    check(data.group.number === 1, `group ${data.group.number}`);
    const location = response.headers.get("location") ?? "";
    check(location.endsWith(`/api/v1/work-items/${data.id}`), `Location ${location}`);
    createdEtag = expectEtag(response);
    itemId = data.id;
    return data.id;
  });

  // 4. Get one, PATCH with If-Match, a stale tag, a 422.
  await step("4a get_work_item (seed item from the list)", async () => {
    const { data, error, response } = await anon.GET("/api/v1/work-items/{id}", {
      params: { path: { id: seedId } },
    });
    expectStatus(response, 200);
    check(data !== undefined, `no item${describe(error)}`);
    check(data.id === seedId && data.city.code === CITY, `id ${data.id} city ${data.city.code}`);
    expectEtag(response);
    return `${data.id}, seq ${data.seq}`;
  });

  let readEtag = "";
  await step("4b get_work_item (created): ETag", async () => {
    const { data, error, response } = await anon.GET("/api/v1/work-items/{id}", {
      params: { path: { id: itemId } },
    });
    expectStatus(response, 200);
    check(data !== undefined, `no item${describe(error)}`);
    check(data.id === itemId && data.content === content, "another item");
    readEtag = expectEtag(response);
    check(readEtag === createdEtag, `ETag ${readEtag} differs from create's ${createdEtag}`);
    return `ETag ${readEtag}`;
  });

  let newEtag = "";
  await step("4c patch_work_item progress=40 If-Match current: 200, new ETag", async () => {
    const { data, error, response } = await api.PATCH("/api/v1/work-items/{id}", {
      params: { path: { id: itemId }, header: { "If-Match": readEtag } },
      body: { progress: 40 },
    });
    expectStatus(response, 200);
    check(data !== undefined, `no item${describe(error)}`);
    check(data.progress === 40, `progress ${data.progress}`);
    check(data.status === "not_started", `status ${data.status} changed`);
    check(data.content === content && data.leader !== null && data.leader.name === LEADER, "other fields changed");
    newEtag = expectEtag(response);
    check(newEtag !== readEtag, "the ETag did not change");
    const again = await anon.GET("/api/v1/work-items/{id}", { params: { path: { id: itemId } } });
    expectStatus(again.response, 200);
    check(expectEtag(again.response) === newEtag, "GET after PATCH shows another ETag");
    return `new ETag ${newEtag}`;
  });

  await step("4d patch_work_item If-Match stale: 412 problem+json", async () => {
    const { data, error, response } = await api.PATCH("/api/v1/work-items/{id}", {
      params: { path: { id: itemId }, header: { "If-Match": readEtag } },
      body: { progress: 60 },
    });
    check(data === undefined, "a stale PATCH succeeded");
    const problem = expectProblem(response, error, 412);
    check(problem.type === "https://duban.dev/problems/precondition-failed", `type ${problem.type}`);
    const after = await anon.GET("/api/v1/work-items/{id}", { params: { path: { id: itemId } } });
    check(after.data !== undefined && after.data.progress === 40, "progress changed after a refused PATCH");
    return `412 ${problem.title}`;
  });

  await step("4e create_work_item invalid: 422 with field paths", async () => {
    const { data, error, response } = await api.POST("/api/v1/work-items", {
      body: {
        section: sectionId,
        group: { number: 1 },
        seq: 2,
        content: `${tag} 无效`,
        units: [{ unit: `不存在的单位${tag}`, role: "lead" }],
      },
    });
    check(data === undefined, "an invalid item was created");
    const problem = expectProblem(response, error, 422);
    check(problem.type === "https://duban.dev/problems/validation", `type ${problem.type}`);
    check(problem.errors !== undefined && problem.errors.length > 0, "no errors listed");
    const fields = problem.errors.map((e) => e.field);
    check(fields.includes("units[0].unit"), `fields ${fields.join(",")}`);
    check(problem.errors.every((e) => e.message !== ""), "an error without a message");
    return `422 fields ${fields.join(", ")}`;
  });

  // 5. Stats, narrowed by group_by.
  await step("5 work_item_stats group_by=status document=<doc>", async () => {
    const { data, error, response } = await anon.GET("/api/v1/stats/work-items", {
      params: { query: { group_by: "status", document: docId } },
    });
    expectStatus(response, 200);
    check(data !== undefined, `no stats${describe(error)}`);
    check(data.group_by === "status", `group_by ${data.group_by}`);
    check(data.total.count === 1, `total.count ${data.total.count}`);
    check(data.total.by_status.not_started === 1, `by_status ${JSON.stringify(data.total.by_status)}`);
    check(data.total.average_progress === 40, `average_progress ${String(data.total.average_progress)}`);
    const keys = data.groups.map((g) => g.key.status);
    check(sameIds(keys, ["not_started"]), `group keys ${keys.join(",")}`);
    return `count 1, average_progress 40, groups ${keys.join(",")}`;
  });

  // 6. The feed.
  await step("6 work_item_feed document=<doc>", async () => {
    const { data, error, response } = await anon.GET("/api/v1/feeds/work-items", {
      params: { query: { document: docId } },
    });
    expectStatus(response, 200, "application/feed+json");
    check(data !== undefined, `no feed${describe(error)}`);
    check(data.version === "https://jsonfeed.org/version/1.1", `version ${data.version}`);
    check(data.items.length === 1, `${data.items.length} items`);
    const entry = data.items[0];
    check(entry !== undefined && entry.id === itemId, "the feed does not hold the item");
    check(entry.url.endsWith(`/api/v1/work-items/${itemId}`), `url ${entry.url}`);
    check(entry._duban.progress === 40 && entry._duban.content === content, "_duban differs");
    return `${data.version}, 1 item`;
  });

  // 7. The change feed, narrowed by resource_type.
  await step("7 list_changes resource_type=work-items: create and update of the item", async () => {
    const actions: string[] = [];
    let since: string | null = null;
    const fetchBatch = async (after: string | null): Promise<Schemas["ChangesOut"]> => {
      const query: paths["/api/v1/changes"]["get"]["parameters"]["query"] =
        after === null
          ? { resource_type: "work-items", limit: 1000 }
          : { resource_type: "work-items", limit: 1000, since: after };
      const { data, error, response } = await api.GET("/api/v1/changes", { params: { query } });
      expectStatus(response, 200);
      check(data !== undefined, `no changes${describe(error)}`);
      return data;
    };
    for (let batch = 0; batch < 100; batch += 1) {
      const data = await fetchBatch(since);
      for (const change of data.changes) {
        check(change.resource_type === "work-items", `a ${change.resource_type} change`);
        if (change.resource_id !== itemId) {
          continue;
        }
        check(change.actor.name === USERNAME, `actor ${change.actor.name}`);
        check(change.resource !== null, `${change.action} without the resource`);
        check(change.resource.id === itemId, `resource ${change.resource.id}`);
        actions.push(`${change.action}@${change.resource.progress}`);
      }
      since = data.next;
      if (!data.has_more) {
        break;
      }
    }
    // Each change carries the resource in the state that change left it in.
    check(sameIds(actions, ["create@0", "update@40"]), `actions ${actions.join(",")}`);
    return actions.join(", ");
  });

  // 8. Revisions of the patched item.
  await step("8 list_work_item_revisions", async () => {
    const { data, error, response } = await anon.GET("/api/v1/work-items/{id}/revisions", {
      params: { path: { id: itemId } },
    });
    expectStatus(response, 200);
    check(data !== undefined, `no revisions${describe(error)}`);
    check(data.total === 2, `total ${String(data.total)}`);
    const actions = data.items.map((r) => r.action).sort();
    check(sameIds(actions, ["create", "update"]), `actions ${actions.join(",")}`);
    for (const r of data.items) {
      check(r.actor.name === USERNAME, `${r.action} by ${r.actor.name}`);
      check(r.resource_id === itemId && r.resource_type === "work-items", `${r.resource_type} ${r.resource_id}`);
    }
    const update = data.items.find((r) => r.action === "update");
    check(update !== undefined, "no update revision");
    const progress = update.changes["progress"];
    check(progress !== undefined && progress.before === 0 && progress.after === 40, `progress change ${JSON.stringify(progress)}`);
    check(update.changes["status"] === undefined, "the PATCH changed the status");
    return "create and update by contract-admin, progress 0 → 40";
  });

  // 9. Delete.
  await step("9a delete_work_item If-Match: 204, then 404", async () => {
    const { error, response } = await api.DELETE("/api/v1/work-items/{id}", {
      params: { path: { id: itemId }, header: { "If-Match": newEtag } },
    });
    expectStatus(response, 204, null);
    check(error === undefined, `error${describe(error)}`);
    const gone = await anon.GET("/api/v1/work-items/{id}", { params: { path: { id: itemId } } });
    check(gone.data === undefined, "the item is still there");
    expectProblem(gone.response, gone.error, 404);
    return "204, then 404";
  });

  await step("9b delete_document cascade=true: 204, then 404", async () => {
    const { error, response } = await api.DELETE("/api/v1/documents/{id}", {
      params: { path: { id: docId }, query: { cascade: true } },
    });
    expectStatus(response, 204, null);
    check(error === undefined, `error${describe(error)}`);
    const gone = await anon.GET("/api/v1/documents/{id}", { params: { path: { id: docId } } });
    check(gone.data === undefined, "the document is still there");
    const problem = expectProblem(gone.response, gone.error, 404);
    return `204, then 404 ${problem.title}`;
  });

  console.log(`scenario: ${passed} passed, 0 failed`);
}

await main();
