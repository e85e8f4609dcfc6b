//! Leaders and units as they cross the wire.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::views::{
    CityRef,
    values::{NonBlank, double_option},
};

/// A city leader.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeaderOut {
    pub id: Uuid,
    pub city: CityRef,
    #[schema(example = "何学考")]
    pub name: String,
    #[schema(example = "常务副市长")]
    pub title: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A responsible body.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitOut {
    pub id: Uuid,
    pub city: CityRef,
    #[schema(example = "市发改局")]
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new leader, or all of a leader's fields (PUT).
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"city": "330382", "name": "何学考", "title": "常务副市长"}))]
pub struct LeaderIn {
    /// The city: its id or admin division code. It cannot change.
    #[validate(custom(function = "crate::views::values::city_ref"))]
    #[schema(
        example = "330382",
        pattern = "^([0-9]{6}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
    )]
    pub city: String,
    /// Unique within the city.
    #[validate(nested)]
    #[schema(inline)]
    pub name: NonBlank<50>,
    #[validate(nested)]
    #[schema(inline)]
    pub title: Option<NonBlank<50>>,
}

/// The leader fields to change.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeaderPatch {
    #[validate(nested)]
    #[schema(inline)]
    pub name: Option<NonBlank<50>>,
    /// Null removes the title.
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(min = 1, max = 50), custom(function = "crate::views::values::not_blank"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 50, pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    pub title: Option<Option<String>>,
}

/// A new unit, or all of a unit's fields (PUT).
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"city": "330382", "name": "市发改局"}))]
pub struct UnitIn {
    /// The city: its id or admin division code. It cannot change.
    #[validate(custom(function = "crate::views::values::city_ref"))]
    #[schema(
        example = "330382",
        pattern = "^([0-9]{6}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
    )]
    pub city: String,
    /// Unique within the city.
    #[validate(nested)]
    #[schema(inline)]
    pub name: NonBlank<100>,
}

/// The unit fields to change.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitPatch {
    #[validate(nested)]
    #[schema(inline)]
    pub name: Option<NonBlank<100>>,
}

/// Parameters of the leader and unit lists.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NamedListParams {
    /// City id or admin division code.
    #[param(
        example = "330382",
        pattern = "^([0-9]{6}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
    )]
    pub city: Option<String>,
    /// Substring of the name.
    #[param(pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    pub q: Option<String>,
}
