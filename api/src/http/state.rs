//! What every handler can reach.

use std::{
    net::IpAddr,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use actix_web::{
    http::header::{self, HeaderMap},
    web,
};
use chrono::{DateTime, NaiveDate, Utc};
use entity::item_unit::UnitRole;
use sea_orm::DatabaseConnection;

use crate::{
    domain::{auth::jwt::TokenKeys, driver::Direct},
    http::rate_limiter::RateLimiter,
};

/// The state the server shares with its handlers.
pub struct AppState {
    /// The primary: every write, and every read that must see the latest writes.
    pub db: DatabaseConnection,
    /// A streaming read replica for anonymous reads, when `DATABASE_READ_URL` is set.
    pub replica: Option<DatabaseConnection>,
    /// The hottest reads' path to `db` (one item, the change log's head).
    pub direct: Direct,
    /// Signs and checks access tokens.
    pub tokens: TokenKeys,
    /// Set once the server is shutting down: readiness fails so load balancers move away.
    pub draining: Draining,
    /// Counts requests per client; `None` when rate limiting is off.
    pub limiter: Option<RateLimiter>,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<IpAddr>,
    /// How long a client may take to send a body.
    pub body_read_timeout: Duration,
    /// How long a health check waits for the database.
    pub ping_deadline: Duration,
    /// The roles on an item that let a reporter's unit report on it.
    pub reporting_roles: Vec<UnitRole>,
    /// What the server takes for today.
    pub clock: Clock,
    /// How many matches `count=auto` counts exactly.
    pub count_limit: u64,
    /// The same state over the read replica, for [`AppState::for_reading`].
    pub replica_state: Option<web::Data<AppState>>,
}

impl AppState {
    /// The state a read runs on: over the replica for anonymous requests when there is one,
    /// else this one (the primary). A request with a token stays on the primary, so that a
    /// client that just wrote (writes need a token) reads its own writes whatever the replica's
    /// lag; anonymous readers may see a change up to the replica's lag late.
    pub fn for_reading(this: &web::Data<Self>, headers: &HeaderMap) -> web::Data<Self> {
        match &this.replica_state {
            Some(replica) if !headers.contains_key(header::AUTHORIZATION) => replica.clone(),
            _ => this.clone(),
        }
    }

    /// This state with reads going to `replica`.
    pub fn with_replica(mut self, replica: Option<DatabaseConnection>) -> Self {
        self.replica_state = replica.map(|db| {
            web::Data::new(AppState {
                direct: self.direct.over(&db),
                db,
                replica: None,
                tokens: self.tokens.clone(),
                draining: self.draining.clone(),
                limiter: None,
                trusted_proxies: self.trusted_proxies.clone(),
                body_read_timeout: self.body_read_timeout,
                ping_deadline: self.ping_deadline,
                reporting_roles: self.reporting_roles.clone(),
                clock: self.clock.clone(),
                count_limit: self.count_limit,
                replica_state: None,
            })
        });
        self
    }
}

/// What the server takes for today: the date in China Standard Time (UTC+8), where every city's
/// deadlines fall, unless fixed (`CLOCK_DATE`). Reads that depend on it (overdue, stale) take it
/// from here, so a test fixes the day instead of waiting for one.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    pub fixed: Option<NaiveDate>,
}

impl Clock {
    /// Today's date.
    pub fn today(&self) -> NaiveDate {
        self.fixed.unwrap_or_else(|| (Utc::now() + chrono::Duration::hours(CHINA_UTC_OFFSET_HOURS)).date_naive())
    }

    /// When today began: answers that depend on the day change then, whatever the change log says.
    pub fn start_of_today(&self) -> DateTime<Utc> {
        let midnight = self.today().and_time(chrono::NaiveTime::MIN).and_utc();
        midnight - chrono::Duration::hours(CHINA_UTC_OFFSET_HOURS)
    }
}

/// China Standard Time, which has no daylight saving.
const CHINA_UTC_OFFSET_HOURS: i64 = 8;

/// Whether the server has been asked to stop; shared by the signal handler and every worker.
#[derive(Debug, Clone, Default)]
pub struct Draining(Arc<AtomicBool>);

impl Draining {
    /// Marks the server as shutting down.
    pub fn start(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether the server is shutting down.
    pub fn is_draining(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}
