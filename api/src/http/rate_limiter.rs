//! The rate limiter: limits per client: by user for requests with a valid token, by client address for the
//! rest, and a stricter one on logins by client address. The counters are GCRA buckets (a burst
//! of the whole quota, then one request per `60 s / quota`), kept by `governor` in the process,
//! or in Redis (`REDIS_URL`, the same algorithm in one atomic script) so that every replica
//! enforces one limit. Refusals are a 429 problem with `Retry-After`, and every limited
//! response carries the `RateLimit-Policy` and `RateLimit` headers of the IETF draft
//! (draft-ietf-httpapi-ratelimit-headers).

use std::{
    net::IpAddr,
    num::NonZeroU32,
    sync::{Arc, Weak},
    time::Duration,
};

use actix_web::HttpRequest;
use anyhow::Context;
use governor::{
    Quota,
    clock::{Clock, DefaultClock},
    middleware::StateInformationMiddleware,
    state::keyed::DefaultKeyedStateStore,
};

use crate::config::RateLimitConfig;

type Buckets = governor::RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock, StateInformationMiddleware>;

/// Which limit a request counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Requests without a valid token, per client address.
    Anonymous,
    /// Requests with a valid token, per user.
    Authenticated,
    /// `POST /api/v1/auth/token`, per client address.
    Login,
}

impl Policy {
    pub fn name(self) -> &'static str {
        match self {
            Self::Anonymous => "anonymous",
            Self::Authenticated => "authenticated",
            Self::Login => "login",
        }
    }
}

/// What a bucket said: allowed (with what is left) or refused (with the wait).
#[derive(Debug, Clone, Copy)]
pub struct Verdict {
    pub allowed: bool,
    pub remaining: u64,
    /// Seconds until the bucket is full again (allowed) or until the next request may pass.
    pub reset_seconds: u64,
}

/// Where the buckets live. One per server, so the size of the in-process variant does not matter.
#[expect(clippy::large_enum_variant, reason = "one per server, behind an Arc")]
enum Store {
    Process { anonymous: Buckets, authenticated: Buckets, login: Buckets, clock: DefaultClock },
    Redis { connection: redis::aio::ConnectionManager, script: redis::Script },
}

/// The limiter one server shares between its workers.
pub struct RateLimiter {
    store: Arc<Store>,
    anonymous: u32,
    authenticated: u32,
    login: u32,
}

/// GCRA in Redis: the key holds the theoretical arrival time (ms, Redis's clock, so that every
/// replica agrees). ARGV: the emission interval in ms, the burst. Returns {allowed, remaining,
/// reset ms}.
const GCRA_SCRIPT: &str = r"
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local allow_at = tat - (burst - 1) * interval
if now < allow_at then
  return {0, 0, allow_at - now}
end
local new_tat = tat + interval
redis.call('SET', KEYS[1], new_tat, 'PX', new_tat - now)
local remaining = math.floor((now - (new_tat - burst * interval)) / interval)
return {1, remaining, new_tat - now}
";

impl RateLimiter {
    /// The limiter `config` asks for; `None` when rate limiting is off. With `REDIS_URL` it
    /// connects to Redis now, so a wrong address fails the start.
    pub async fn from_config(config: &RateLimitConfig) -> anyhow::Result<Option<Self>> {
        if !config.enabled {
            return Ok(None);
        }
        let quota = |per_minute: u32| Quota::per_minute(NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN));
        let store = match &config.redis_url {
            Some(url) => {
                let client = redis::Client::open(url.as_str()).context("REDIS_URL is not a Redis address")?;
                let connection =
                    tokio::time::timeout(Duration::from_secs(5), redis::aio::ConnectionManager::new(client))
                        .await
                        .context("Timed out connecting to Redis (REDIS_URL)")?
                        .context("Failed to connect to Redis (REDIS_URL)")?;
                Store::Redis { connection, script: redis::Script::new(GCRA_SCRIPT) }
            }
            None => Store::Process {
                anonymous: governor::RateLimiter::keyed(quota(config.anonymous_per_minute)).with_middleware(),
                authenticated: governor::RateLimiter::keyed(quota(config.authenticated_per_minute)).with_middleware(),
                login: governor::RateLimiter::keyed(quota(config.login_per_minute)).with_middleware(),
                clock: DefaultClock::default(),
            },
        };
        let store = Arc::new(store);
        forget_idle_buckets(Arc::downgrade(&store));
        Ok(Some(Self {
            store,
            anonymous: config.anonymous_per_minute.max(1),
            authenticated: config.authenticated_per_minute.max(1),
            login: config.login_per_minute.max(1),
        }))
    }

    /// Requests a minute `policy` allows.
    pub fn quota(&self, policy: Policy) -> u32 {
        match policy {
            Policy::Anonymous => self.anonymous,
            Policy::Authenticated => self.authenticated,
            Policy::Login => self.login,
        }
    }

    /// Counts one request of `key` against `policy`.
    pub async fn check(&self, policy: Policy, key: &str) -> Verdict {
        let quota = self.quota(policy);
        match self.store.as_ref() {
            Store::Process { anonymous, authenticated, login, clock } => {
                let buckets = match policy {
                    Policy::Anonymous => anonymous,
                    Policy::Authenticated => authenticated,
                    Policy::Login => login,
                };
                let interval = 60.0 / f64::from(quota);
                match buckets.check_key(&key.to_owned()) {
                    Ok(snapshot) => {
                        let remaining = snapshot.remaining_burst_capacity();
                        let refill = f64::from(quota - remaining.min(quota)) * interval;
                        Verdict { allowed: true, remaining: u64::from(remaining), reset_seconds: refill.ceil() as u64 }
                    }
                    Err(not_until) => Verdict {
                        allowed: false,
                        remaining: 0,
                        reset_seconds: not_until.wait_time_from(clock.now()).as_secs_f64().ceil().max(1.0) as u64,
                    },
                }
            }
            Store::Redis { connection, script } => {
                let interval_ms = (60_000 / u64::from(quota)).max(1);
                let mut connection = connection.clone();
                let mut invocation = script.key(format!("duban:ratelimit:{}:{key}", policy.name()));
                invocation.arg(interval_ms).arg(quota);
                let answer = tokio::time::timeout(
                    Duration::from_millis(500),
                    invocation.invoke_async::<(i64, i64, i64)>(&mut connection),
                )
                .await;
                match answer {
                    Ok(Ok((allowed, remaining, reset_ms))) => Verdict {
                        allowed: allowed == 1,
                        remaining: remaining.max(0) as u64,
                        reset_seconds: (reset_ms.max(0) as u64).div_ceil(1000).max(u64::from(allowed != 1)),
                    },
                    // A limiter that cannot count must not take the service down with it: let
                    // the request through, and say so.
                    failure => {
                        let error = match failure {
                            Ok(Err(error)) => error.to_string(),
                            _ => "timed out".to_owned(),
                        };
                        tracing::warn!(error, "the rate limiter cannot reach Redis; letting the request through");
                        metrics::counter!("duban_rate_limit_errors_total").increment(1);
                        Verdict { allowed: true, remaining: u64::from(quota), reset_seconds: 0 }
                    }
                }
            }
        }
    }
}

/// The client's address: the peer, or, when the peer is a trusted proxy, the right-most address
/// in `X-Forwarded-For` that is not a trusted proxy (the left-most ones are the client's say).
pub fn client_address(req: &HttpRequest, trusted_proxies: &[IpAddr]) -> Option<IpAddr> {
    let peer = req.peer_addr().map(|addr| addr.ip())?;
    if !trusted_proxies.contains(&peer) {
        return Some(peer);
    }
    let forwarded = req.headers().get_all("x-forwarded-for").filter_map(|v| v.to_str().ok()).collect::<Vec<_>>();
    let hops: Vec<IpAddr> =
        forwarded.iter().flat_map(|v| v.split(',')).filter_map(|hop| hop.trim().parse::<IpAddr>().ok()).collect();
    Some(hops.into_iter().rev().find(|hop| !trusted_proxies.contains(hop)).unwrap_or(peer))
}

/// The in-process buckets of clients gone quiet are dropped every minute, so the map does not
/// grow with every address ever seen. Ends when the limiter does.
fn forget_idle_buckets(store: Weak<Store>) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(Duration::from_secs(60));
        loop {
            ticks.tick().await;
            let Some(store) = store.upgrade() else { return };
            if let Store::Process { anonymous, authenticated, login, .. } = store.as_ref() {
                for buckets in [anonymous, authenticated, login] {
                    buckets.retain_recent();
                    buckets.shrink_to_fit();
                }
            }
        }
    });
}
