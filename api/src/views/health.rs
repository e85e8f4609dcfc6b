//! Health status.

use serde::Serialize;
use utoipa::ToSchema;

/// Health status.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthOut {
    #[schema(example = "ok")]
    pub status: &'static str,
}
