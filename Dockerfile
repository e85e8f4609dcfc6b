# Duban: the `duban` binary on Debian slim.
#
#   docker build -t duban .
#   docker run --rm -p 8080:8080 duban                      # embedded SQLite, seeded on first start
#   docker run --rm -p 8080:8080 -e DATABASE_URL=postgres://user:pass@host:5432/duban duban
#
# docker-compose.yml runs it with PostgreSQL.

# ---- build ------------------------------------------------------------------------------------
FROM rust:1-bookworm AS builder
WORKDIR /src

# The whole workspace: Cargo reads every member's manifest, and the seed documents in data/ are
# compiled into the binary (include_str!). .dockerignore keeps target/, databases and .env out.
COPY . .

RUN cargo build --release -p duban-api --locked \
    && install -D -m 0755 target/release/duban /out/duban

# ---- run --------------------------------------------------------------------------------------
FROM debian:bookworm-slim

# TLS roots for outgoing TLS connections (e.g. a PostgreSQL server that requires TLS).
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*

# An unprivileged user; its working directory is where the default SQLite file (duban.db) goes
# when DATABASE_URL is not set. Mount a volume there to keep it.
RUN groupadd --system --gid 10001 duban \
    && useradd --system --uid 10001 --gid duban --home-dir /var/lib/duban --create-home --shell /usr/sbin/nologin duban
WORKDIR /var/lib/duban

COPY --from=builder /out/duban /usr/local/bin/duban

USER duban:duban

# Listen on every interface inside the container (the binary's own default is 127.0.0.1:8080).
ENV BIND_ADDR=0.0.0.0:8080
# Two malloc arenas instead of glibc's one per allocating thread, which keep what a burst freed:
# 16 clients of statistics on SQLite left the server at 101 MiB of RSS, 80 MiB with two, at no
# cost in throughput that showed (docs/benchmarks.md). The workspace forbids `unsafe`, so the
# binary cannot call mallopt itself.
ENV MALLOC_ARENA_MAX=2
EXPOSE 8080

# No HEALTHCHECK: the slim image has no curl or wget. Probe GET /health/live (process up) and
# GET /health/ready (database answers) from the orchestrator instead.

# `duban` handles SIGTERM/SIGINT with a graceful shutdown.
CMD ["duban", "serve"]
