"""The benchmark driver behind bench/run (see there). Standard library only."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / os.environ.get("BENCH_BIN", "target/release/duban")
ITEMS = int(os.environ.get("BENCH_ITEMS", "1000000"))
SQLITE_ITEMS = int(os.environ.get("BENCH_SQLITE_ITEMS", "100000"))
DURATION = int(os.environ.get("BENCH_DURATION", "5"))
# A regular expression: only the workloads whose names it finds are driven (all by default), to
# measure one change quickly. The imports and start-up are always measured.
ONLY = re.compile(os.environ.get("BENCH_ONLY", ""))
PG = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
# Appended to the names of the PostgreSQL databases and the SQLite file, so that two runs on one
# machine (two worktrees, say) do not drop each other's data: BENCH_DB_SUFFIX=rpt gives
# duban_bench_2000_rpt. Letters, digits and underscores only: it becomes part of an identifier.
SUFFIX = os.environ.get("BENCH_DB_SUFFIX", "")
if not re.fullmatch(r"[A-Za-z0-9_]*", SUFFIX):
    raise SystemExit("BENCH_DB_SUFFIX may hold only letters, digits and underscores")
SUFFIX = f"_{SUFFIX.lower()}" if SUFFIX else ""
PGBENCH = os.environ.get("PGBENCH", "pgbench")
CITY = "900000"  # the first generated city
UNIT = "市发改局"
# A quarter of the generated plans (2016–2025) with reports filed in it and reports missing.
REPORT_PERIOD = "2021-Q2"
ADMIN_PASSWORD = "bench-admin-password"
# Which parts to run, comma-separated: `postgres` (the 1M table), `sqlite` (the 100k table) and
# `seed` (the seed-sized reads on SQLite, the embedded default). All by default.
SECTIONS = set(os.environ.get("BENCH_SECTIONS", "postgres,sqlite,seed").split(","))
# The seed documents' cities (Yueqing, Yuhuan), and a unit both have.
SEED_CITY = "330382"
SEED_UNIT = "市发改局"
WORK = Path(tempfile.mkdtemp(prefix="duban-bench-"))


def log(message):
    print(message, file=sys.stderr, flush=True)


def run(args, env=None, capture=True, check=True):
    result = subprocess.run(
        args, env={**os.environ, **(env or {})}, capture_output=capture, text=True, check=False
    )
    if check and result.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, args))} failed:\n{result.stdout}\n{result.stderr}")
    return result


def psql(url, sql):
    return run(["psql", url, "-qtAX", "-c", sql]).stdout.strip()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scale(items):
    cities = 20 if items >= 200_000 else 2
    return ["--cities", str(cities), "--work-items", str(items), "--livelihood-projects", str(items // 10)]


def ensure_postgres(items):
    """The PostgreSQL data set, generated once; returns its URL."""
    name = f"duban_bench_{items}{SUFFIX}"
    url = f"{PG}/{name}"
    have = run(["psql", url, "-qtAX", "-c", "SELECT count(*) FROM items"], check=False)
    expected = items + items // 10
    if have.returncode == 0 and have.stdout.strip() == str(expected):
        log(f"PostgreSQL: reusing {name} ({expected} items)")
        return url
    psql(f"{PG}/postgres", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    psql(f"{PG}/postgres", f"CREATE DATABASE {name}")
    log(f"PostgreSQL: generating {name} …")
    started = time.time()
    out = run([BIN, "generate", "data", *scale(items)], env={"DATABASE_URL": url, "RUST_LOG": "warn"})
    log(f"  {out.stdout.strip()} (wall {time.time() - started:.0f} s)")
    return url


def ensure_sqlite(items):
    path = Path(os.environ.get("BENCH_DIR", ROOT / "bench" / ".data")) / f"bench-{items}{SUFFIX}.db"
    url = f"sqlite://{path}?mode=rwc"
    if path.exists():
        log(f"SQLite: reusing {path.name}")
        return url
    path.parent.mkdir(parents=True, exist_ok=True)
    log(f"SQLite: generating {path.name} …")
    out = run([BIN, "generate", "data", *scale(items)], env={"DATABASE_URL": url, "RUST_LOG": "warn"})
    log(f"  {out.stdout.strip()}")
    return url


class Server:
    """`duban serve` on a free port; measures start-up time and peak RSS."""

    def __init__(self, url, seed=False):
        self.url = url
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            "DATABASE_URL": url,
            "BIND_ADDR": f"127.0.0.1:{self.port}",
            "JWT_SECRET": "bench-signs-tokens-with-this-32-bytes!!",
            "RUST_LOG": "warn",
            "SEED_ON_EMPTY": "true" if seed else "false",
            "RATE_LIMIT": "false",
            "SHUTDOWN_DELAY_MS": "0",
            # As the Docker image runs it (see the README): glibc's allocator otherwise keeps an
            # arena per allocating thread, and the peak RSS on SQLite varied by 16 MiB run to run.
            "MALLOC_ARENA_MAX": "2",
        }
        run([BIN, "user", "create", "--username", "bench-admin", "--role", "admin", "--password-env", "PW"],
            env={"DATABASE_URL": url, "PW": ADMIN_PASSWORD, "RUST_LOG": "error"}, check=False)
        started = time.time()
        self.process = subprocess.Popen(
            [BIN, "serve"], env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=open(WORK / "server.log", "a")
        )
        while True:
            try:
                with urllib.request.urlopen(f"{self.base}/health/ready", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.time() - started > 60:
                raise SystemExit("the server did not start within 60 s")
            time.sleep(0.02)
        self.startup = time.time() - started
        body = json.dumps({"username": "bench-admin", "password": ADMIN_PASSWORD}).encode()
        request = urllib.request.Request(
            f"{self.base}/api/v1/auth/token", body, {"content-type": "application/json"}
        )
        with urllib.request.urlopen(request) as response:
            self.token = json.load(response)["access_token"]

    def rss_mib(self):
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024

    def peak_mib(self):
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024

    def get(self, path, headers=None):
        request = urllib.request.Request(self.base + path, headers=headers or {})
        with urllib.request.urlopen(request) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()

    def cpu_seconds(self):
        """User and system CPU the server has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        # utime and stime, the stat file's 14th and 15th fields (11th and 12th after the name).
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def duration_ms(text):
    """wrk's `1.23ms`; NaN when no request completed (wrk prints `-nanus`)."""
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    return float(match.group(1)) * UNITS[match.group(2)] if match else float("nan")


def wrk(url, connections, script=None, env=None, headers=(), duration=DURATION):
    threads = min(connections, 2)
    args = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", "--latency", "--timeout", "10s"]
    for header in headers:
        args += ["-H", header]
    if script:
        args += ["-s", str(ROOT / "bench" / "lua" / script)]
    out = run(args + [url], env=env).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    # A percentile's own line: the thread statistics above end in "+/- Stdev" percentages (such
    # as "96.50%") that an unanchored "50%" would take, reading the next line's first word.
    p50 = duration_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = duration_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return {"rate": rate, "p50": p50, "p99": p99, "errors": errors, "requests": requests}


def pgbench(url, sql, clients):
    script = WORK / "statement.sql"
    script.write_text(sql)
    out = run(
        [PGBENCH, "-n", "-M", "prepared", "-c", str(clients), "-j", str(min(clients, 2)), "-T", str(DURATION),
         "-f", str(script), url]
    ).stdout
    return float(re.search(r"tps = ([\d.]+)", out).group(1))


def prepare_pg_helpers(url):
    """Numbered ids for pgbench's random picks (pgbench cannot draw from a list of UUIDs)."""
    psql(url, "DROP TABLE IF EXISTS bench_ids")
    psql(url, "CREATE TABLE bench_ids AS SELECT row_number() OVER () AS n, id FROM "
              "(SELECT id FROM items WHERE kind = 'work_item' ORDER BY id LIMIT 10000) s")
    psql(url, "CREATE UNIQUE INDEX ON bench_ids (n)")
    psql(url, "ANALYZE bench_ids")


def item_ids(server_url, city=CITY):
    """Up to 2,000 work item ids of `city` (of every city when `None`), in a file for random-id.lua."""
    ids = []
    cursor = None
    while len(ids) < 2000:
        query = "/api/v1/work-items?count=none&limit=500&fields=id" + (f"&city={city}" if city else "")
        if cursor:
            query += f"&cursor={cursor}"
        _, _, body = server_url.get(query)
        page = json.loads(body)
        ids += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    path = WORK / "ids.txt"
    path.write_text("\n".join(ids) + "\n")
    return path


def deep_cursor(server, depth):
    """The cursor `depth` records into the city's items sorted by last change."""
    cursor, seen = None, 0
    while seen < depth:
        query = f"/api/v1/work-items?city={CITY}&sort=-updated_at&count=none&limit=500&fields=id"
        if cursor:
            query += f"&cursor={cursor}"
        _, _, body = server.get(query)
        page = json.loads(body)
        seen += len(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    return cursor, seen


# The one statement a perfect server would issue for each read (PostgreSQL), for pgbench and
# EXPLAIN. `:n` picks an item by number in bench_ids.
ITEM_COLUMNS = """i.id, i.kind, i.document_id, i.group_number, i.group_heading, i.seq, i.sub_seq, i.content,
  i.remarks, i.period_start, i.period_end, i.status, i.progress, i.progress_note, i.created_at, i.updated_at,
  c.id AS city_id, c.code, c.name AS city_name, s.id AS section_id, s.number, s.title,
  l.id AS leader_id, l.name AS leader_name, l.title AS leader_title,
  (SELECT json_agg(json_build_object('id', iu.unit_id, 'name', (SELECT u.name FROM units u WHERE u.id = iu.unit_id),
                                      'role', iu.role, 'note', iu.note) ORDER BY iu.position)
     FROM item_units iu WHERE iu.item_id = i.id) AS units,
  (SELECT json_agg(json_build_object('title', m.title, 'due_on', m.due_on, 'done_on', m.done_on)
          ORDER BY m.position)
     FROM milestones m WHERE m.item_id = i.id) AS milestones"""
FROM = """items i JOIN cities c ON c.id = i.city_id JOIN sections s ON s.id = i.section_id
  LEFT JOIN leaders l ON l.id = i.leader_id"""
IN_CITY = f"i.city_id = (SELECT id FROM cities WHERE code = '{CITY}')"
ORDER = "ORDER BY i.document_id, i.section_number, i.group_number, i.seq, i.sub_seq, i.id"


def page_sql(where, order=ORDER, total=False):
    count = ", count(*) OVER () AS total" if total else ""
    return f"SELECT {ITEM_COLUMNS}{count} FROM {FROM} WHERE i.kind = 'work_item' AND {where} {order} LIMIT 51"


def unit_page_sql(total=False):
    """A page of the unit's work items in the city, chosen from its unit rows, which carry their
    item's place in document order (migration 17), then joined to the items."""
    count = ", count(*) OVER () AS total" if total else ""
    rows = (f"SELECT iu.item_id{count} FROM item_units iu WHERE iu.unit_id = (SELECT id FROM units "
            f"WHERE name = '{UNIT}' AND city_id = (SELECT id FROM cities WHERE code = '{CITY}')) "
            "AND iu.kind = 'work_item' "
            "ORDER BY iu.document_id, iu.section_number, iu.group_number, iu.seq, iu.item_id LIMIT 51")
    return (f"SELECT {ITEM_COLUMNS}{', p.total' if total else ''} FROM {FROM} JOIN ({rows}) p ON p.item_id = i.id "
            f"{ORDER}")


def search_where(q):
    lexemes = q if len(q) <= 2 else " & ".join(q[i:i + 2] for i in range(len(q) - 1))
    return (f"array_to_tsvector(string_to_array(i.search_text, ' ')) @@ '{lexemes}'::tsquery "
            f"AND (i.content LIKE '%{q}%' OR i.remarks LIKE '%{q}%' OR i.search_text LIKE '%{q}%')")


TALLIED_TRENDS = """SELECT b.*, c.name AS group_name FROM (SELECT t.period_start, t.group_id,
  sum(t.reports)::bigint AS reports, sum(t.progress_sum)::bigint AS progress_sum, sum(t.items)::bigint AS items,
  sum(t.completed)::bigint AS completed, sum(t.overdue)::bigint AS overdue
  FROM report_tallies t WHERE t.period_kind = 'quarter' AND t.group_kind = 'city' {where}
  GROUP BY t.period_start, t.group_id) b JOIN cities c ON b.group_id = c.id;\n"""

STATEMENTS = {
    "get_one": f"\\set n random(1, 10000)\nSELECT {ITEM_COLUMNS} FROM {FROM} "
               "WHERE i.id = (SELECT id FROM bench_ids WHERE n = :n);\n",
    "list_unit_total": unit_page_sql(total=True) + ";\n",
    "list_unit_none": unit_page_sql() + ";\n",
    "list_status_none": page_sql(f"{IN_CITY} AND i.status = 'in_progress'") + ";\n",
    "search_2": page_sql(search_where("停车"), order="ORDER BY i.document_id, i.id") + ";\n",
    # From the tallies the database keeps per unit (migration 12), as the server reads them.
    "stats_unit_city": f"""SELECT t.unit_id, t.role, t.status, sum(t.items)::bigint, sum(t.progress_sum)::bigint
  FROM unit_tallies t WHERE t.kind = 'work_item' AND t.items > 0
  AND t.city_id = (SELECT id FROM cities WHERE code = '{CITY}') GROUP BY t.unit_id, t.role, t.status;\n""",
    "stats_status_all": "SELECT status, count(*), sum(progress) FROM items WHERE kind = 'work_item' GROUP BY status;\n",
    "feed_city": page_sql(IN_CITY, order="ORDER BY i.updated_at DESC, i.id") + ";\n",
    "head": "SELECT seq, created_at FROM revisions ORDER BY seq DESC LIMIT 1;\n",
    # The server's one statement for quarterly trends by city, read from the tallies the writes keep
    # (migration 14), of one city and of every city.
    "report_trends_city": TALLIED_TRENDS.format(where=f"AND t.city_id = (SELECT id FROM cities WHERE code = '{CITY}')"),
    "report_trends_all": TALLIED_TRENDS.format(where=""),
    # One page of the city's units that owe a report for the quarter.
    "missing_reports_city": f"""SELECT iu.item_id, i.kind, i.city_id, c.code, c.name, c.reporting_cycle, iu.unit_id,
  u.name AS unit_name, iu.role, i.due_on
  FROM item_units iu JOIN items i ON i.id = iu.item_id JOIN units u ON u.id = iu.unit_id
  JOIN cities c ON c.id = i.city_id
  WHERE iu.role IN ('lead', 'responsible', 'cooperating') AND i.status NOT IN ('completed', 'cancelled')
    AND i.period_start <= 2021 AND i.period_end >= 2021 AND NOT EXISTS (SELECT 1 FROM progress_reports r
      WHERE r.item_id = iu.item_id AND r.unit_id = iu.unit_id AND r.as_of BETWEEN '2021-04-01' AND '2021-06-30')
    AND i.city_id = (SELECT id FROM cities WHERE code = '{CITY}')
  ORDER BY iu.item_id, iu.unit_id LIMIT 51;\n""",
}


def table(rows):
    lines = ["| workload | c | req/s | p50 ms | p99 ms | errors | pgbench tps | ratio | RSS MiB |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for row in rows:
        ratio = f"{row['rate'] / row['pg']:.2f}" if row.get("pg") else ""
        pg = f"{row['pg']:.0f}" if row.get("pg") else ""
        lines.append(
            f"| {row['name']} | {row['c']} | {row['rate']:.0f} | {row['p50']:.1f} | {row['p99']:.1f} | "
            f"{row['errors']} | {pg} | {ratio} | {row['rss']:.0f} |"
        )
    return "\n".join(lines)


def warm_up(server, ids):
    """One unmeasured pass of GET one over the ids, so that the first row measures the server, not
    the database's cache filling with their pages (pgbench, which runs before each row, reads
    other ids)."""
    wrk(server.base + "/api/v1/work-items/", 1, script="random-id.lua",
        env={"IDS": str(ids), "PREFIX": "/api/v1/work-items/"})


def measure(server, workloads, pg_url=None):
    rows = []
    for name, connections, path, options, statement in workloads:
        if not ONLY.search(name):
            continue
        pg = pgbench(pg_url, STATEMENTS[statement], connections) if pg_url and statement else None
        if options.pop("revalidate", False):
            # The tag as of now: writes measured earlier moved the head.
            _, headers, _ = server.get(path)
            options["headers"] = [f"If-None-Match: {headers['etag']}"]
        # One unmeasured second of the same load first: every row measures the service with the
        # pages it reads in memory. This machine's kernel pages out file cache that has not been
        # read for about a minute (DAMON's `pageout` scheme), and the database keeps only 128 MB
        # in its own buffers, so a row that reads pages no row read lately (a search of four
        # characters confirms 9,000 items on their table pages) began with reads from disk:
        # single requests of up to a second, which pgbench's run of the row's statement hid for
        # the rows that have one.
        wrk(server.base + path, connections, duration=1, **options)
        result = wrk(server.base + path, connections, **options)
        rows.append({"name": name, "c": connections, "pg": pg, "rss": server.rss_mib(), **result})
        log(f"  {name} c{connections}: {result['rate']:.0f} req/s, p99 {result['p99']:.1f} ms"
            + (f", pgbench {pg:.0f} tps" if pg else ""))
    return rows


def workloads(server, ids):
    get_env = {"IDS": str(ids), "PREFIX": "/api/v1/work-items/"}
    patch_env = {**get_env, "METHOD": "PATCH", "TOKEN": server.token}
    listing = f"/api/v1/work-items?city={CITY}&unit={urllib.request.quote(UNIT)}&limit=50"
    cursor, depth = deep_cursor(server, 40_000)
    _, _, body = server.get("/api/v1/changes?limit=1000")
    since = json.loads(body)["next"]
    for c in (1, 16):
        yield ("GET one work item", c, "/api/v1/work-items/", {"script": "random-id.lua", "env": get_env}, "get_one")
        yield ("page of 50, city+unit, exact total", c, listing, {}, "list_unit_total")
        yield ("page of 50, city+unit, count=none", c, listing + "&count=none", {}, "list_unit_none")
        yield ("page of 50, city+status, count=none", c,
               f"/api/v1/work-items?city={CITY}&status=in_progress&count=none&limit=50", {}, "list_status_none")
        for q in ("港", "停车", "公共停车"):
            yield (f"q={q} over everything, count=none", c,
                   f"/api/v1/work-items?q={urllib.request.quote(q)}&count=none&limit=50", {},
                   "search_2" if q == "停车" else None)
        yield ("q=停车 in one city, exact total", c,
               f"/api/v1/work-items?q={urllib.request.quote('停车')}&city={CITY}&limit=50", {}, None)
        for group in ("unit", "leader", "status"):
            yield (f"stats by {group}, one city", c, f"/api/v1/stats/work-items?group_by={group}&city={CITY}", {},
                   "stats_unit_city" if group == "unit" else None)
        yield ("stats by status, everything", c, "/api/v1/stats/work-items?group_by=status", {}, "stats_status_all")
        yield ("JSON Feed page, one city", c, f"/api/v1/feeds/work-items?city={CITY}", {}, "feed_city")
        yield ("report trends by quarter, one city", c, f"/api/v1/stats/reports?interval=quarter&city={CITY}", {},
               "report_trends_city")
        yield ("report trends by quarter, everything", c, "/api/v1/stats/reports?interval=quarter", {},
               "report_trends_all")
        yield ("missing reports for a quarter, one city, count=none", c,
               f"/api/v1/reports/missing?period={REPORT_PERIOD}&city={CITY}&count=none&limit=50", {},
               "missing_reports_city")
        yield ("missing reports for a quarter, one city, exact total", c,
               f"/api/v1/reports/missing?period={REPORT_PERIOD}&city={CITY}&limit=50", {}, None)
        if cursor:
            yield (f"cursor page {depth} deep", c,
                   f"/api/v1/work-items?city={CITY}&sort=-updated_at&count=none&limit=50&cursor={cursor}", {}, None)
        yield ("list revalidation (304)", c, listing, {"revalidate": True}, "head")
        yield ("PATCH progress (If-Match: *)", c, "/api/v1/work-items/", {"script": "random-id.lua", "env": patch_env},
               None)
        yield ("/changes polling at the head", c, f"/api/v1/changes?since={since}", {}, "head")


def seed_reads(ids):
    """What a dashboard or portal reads of the seed documents: (name, path, wrk options)."""
    unit = urllib.request.quote(SEED_UNIT)
    get_env = {"IDS": str(ids), "PREFIX": "/api/v1/work-items/"}
    return [
        ("GET one work item", "/api/v1/work-items/", {"script": "random-id.lua", "env": get_env}),
        ("page of 50 in document order", "/api/v1/work-items?limit=50", {}),
        ("page of 50 livelihood projects", "/api/v1/livelihood-projects?limit=50", {}),
        ("page of one city and unit", f"/api/v1/work-items?city={SEED_CITY}&unit={unit}&limit=50", {}),
        ("one unit across both cities", f"/api/v1/work-items?unit={unit}&limit=50", {}),
        ("q=停车", f"/api/v1/work-items?q={urllib.request.quote('停车')}&limit=50", {}),
        ("stats by unit, one city", f"/api/v1/stats/work-items?group_by=unit&city={SEED_CITY}", {}),
        ("stats by status, both cities", "/api/v1/stats/work-items?group_by=status", {}),
        ("JSON Feed page", "/api/v1/feeds/work-items", {}),
        ("documents", "/api/v1/documents", {}),
        ("units of one city", f"/api/v1/units?city={SEED_CITY}&limit=50", {}),
        ("/changes", "/api/v1/changes", {}),
    ]


def measure_seed():
    """The seed-sized reads on a fresh SQLite file the server seeds itself, at c1: p50 and p99 of
    each of SEED_RUNS runs, and the server's CPU per request over all of them (on two cores shared
    with wrk, a request's CPU bounds its latency)."""
    runs = int(os.environ.get("BENCH_SEED_RUNS", "3"))
    server = Server(f"sqlite://{WORK / 'seed.db'}?mode=rwc", seed=True)
    log(f"SQLite (seed documents) server up in {server.startup:.2f} s")
    lines = ["| read | kB | p50 ms | p99 ms | CPU ms a request |", "| --- | --- | --- | --- | --- |"]
    try:
        ids = item_ids(server, city=None)
        first_id = ids.read_text().split()[0]
        for name, path, options in seed_reads(ids):
            if not ONLY.search(name):
                continue
            # A path ending in `/` takes an id (random-id.lua picks one a request).
            sample = path + first_id if path.endswith("/") else path
            size = len(server.get(sample)[2]) / 1000
            wrk(server.base + path, 1, duration=1, **options)
            results, cpu, requests = [], 0.0, 0
            for _ in range(runs):
                before = server.cpu_seconds()
                result = wrk(server.base + path, 1, **options)
                cpu += server.cpu_seconds() - before
                requests += result["requests"]
                results.append(result)
            low, high = (f"{f(r['p50'] for r in results):.1f}" for f in (min, max))
            p50 = low if low == high else f"{low}–{high}"
            p99 = ", ".join(f"{r['p99']:.1f}" for r in results)
            errors = sum(r["errors"] for r in results)
            lines.append(f"| {name} | {size:.0f} | {p50} | {p99} | {1000 * cpu / requests:.2f} |"
                         + (f" {errors} errors" if errors else ""))
            log(f"  {name}: p99 {p99} ms, {1000 * cpu / requests:.2f} ms CPU a request")
        peak = server.peak_mib()
    finally:
        server.stop()
    return (f"## SQLite, the seed documents (the embedded default), c1, {runs} runs of {DURATION} s each\n\n"
            + "\n".join(lines) + f"\n\nPeak RSS: {peak:.0f} MiB.\n")


def import_times(backend):
    """A 10,000-item document imported into a fresh database, then imported again unchanged."""
    path = WORK / "document.json"
    path.write_text(run([BIN, "generate", "document", "--items", str(min(10_000, ITEMS))]).stdout)
    database = f"duban_bench_import{SUFFIX}"
    if backend == "postgres":
        psql(f"{PG}/postgres", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        psql(f"{PG}/postgres", f"CREATE DATABASE {database}")
        url, label = f"{PG}/{database}", "PostgreSQL"
    else:
        url, label = f"sqlite://{WORK / 'import.db'}?mode=rwc", "SQLite"
    run([BIN, "migrate"], env={"DATABASE_URL": url, "RUST_LOG": "warn"})
    times = []
    for _ in range(2):
        started = time.time()
        run([BIN, "import", str(path)], env={"DATABASE_URL": url, "RUST_LOG": "warn"})
        times.append(time.time() - started)
    log(f"  import on {label}: {times[0]:.2f} s, again unchanged {times[1]:.2f} s")
    if backend == "postgres":
        psql(f"{PG}/postgres", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    return times


def explain(url):
    out = []
    for name in ("list_unit_total", "search_2", "stats_unit_city", "feed_city", "report_trends_city",
                 "report_trends_all", "missing_reports_city"):
        sql = STATEMENTS[name].strip().rstrip(";")
        plan = psql(url, f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        out.append(f"-- {name}\n{plan}\n")
    return "\n".join(out)


def main():
    log(f"machine: {os.cpu_count()} cores; wrk {DURATION} s per row; items: PostgreSQL {ITEMS}, SQLite {SQLITE_ITEMS}")
    if "postgres" in SECTIONS:
        pg_url = ensure_postgres(ITEMS)
        bench_postgres(pg_url)
    if "sqlite" in SECTIONS:
        bench_sqlite()
    if "seed" in SECTIONS:
        print(measure_seed(), flush=True)
    if "postgres" in SECTIONS:
        print("## EXPLAIN (ANALYZE, BUFFERS), PostgreSQL\n\n```text\n" + explain(pg_url) + "```")
    shutil.rmtree(WORK, ignore_errors=True)


def bench_postgres(pg_url):
    prepare_pg_helpers(pg_url)
    server = Server(pg_url)
    log(f"PostgreSQL server up in {server.startup:.2f} s")
    try:
        ids = item_ids(server)
        warm_up(server, ids)
        rows = measure(server, list(workloads(server, ids)), pg_url)
        peak = server.peak_mib()
    finally:
        server.stop()
    pg_import = import_times("postgres")
    print(f"## PostgreSQL, {ITEMS:,} work items (+{ITEMS // 10:,} livelihood projects)\n\n{table(rows)}\n\n"
                    f"Start-up on this database: {server.startup:.2f} s. Peak RSS: {peak:.0f} MiB.\n"
                    f"Import of a {min(10_000, ITEMS):,}-item document: {pg_import[0]:.2f} s; "
                    f"again, unchanged: {pg_import[1]:.2f} s.\n", flush=True)


def bench_sqlite():
    sqlite_url = ensure_sqlite(SQLITE_ITEMS)
    server = Server(sqlite_url)
    log(f"SQLite server up in {server.startup:.2f} s")
    try:
        ids = item_ids(server)
        warm_up(server, ids)
        wanted = {"GET one work item", "page of 50, city+unit, exact total", "q=停车 over everything, count=none",
                  "stats by unit, one city", "JSON Feed page, one city", "list revalidation (304)",
                  "PATCH progress (If-Match: *)", "report trends by quarter, one city",
                  "report trends by quarter, everything", "missing reports for a quarter, one city, count=none"}
        rows = measure(server, [w for w in workloads(server, ids) if w[0] in wanted])
        peak = server.peak_mib()
    finally:
        server.stop()
    sqlite_import = import_times("sqlite")
    print(f"## SQLite, {SQLITE_ITEMS:,} work items\n\n{table(rows)}\n\n"
                    f"Start-up: {server.startup:.2f} s. Peak RSS: {peak:.0f} MiB. Import of a "
                    f"{min(10_000, ITEMS):,}-item document: {sqlite_import[0]:.2f} s; again, unchanged: "
                    f"{sqlite_import[1]:.2f} s.\n", flush=True)


if __name__ == "__main__":
    main()
