//! Cities as they cross the wire.

use chrono::{DateTime, Utc};
use entity::{city, city::ReportingCycle};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::views::values::{NonBlank, admin_code, double_option};

/// A county-level city.
#[derive(Debug, Serialize, ToSchema)]
pub struct CityOut {
    pub id: Uuid,
    /// Admin division code.
    #[schema(example = "330382")]
    pub code: String,
    #[schema(example = "乐清市")]
    pub name: String,
    #[schema(example = "Yueqing")]
    pub name_en: String,
    #[schema(example = "浙江省")]
    pub province: String,
    #[schema(example = "温州市")]
    pub prefecture: String,
    /// How often the city's units report: `monthly`, `quarterly`, or `null` when the city sets no
    /// cycle. `/api/v1/reports/missing` without `period` asks about the current period of it.
    #[schema(example = "quarterly")]
    pub reporting_cycle: Option<ReportingCycle>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<city::Model> for CityOut {
    fn from(c: city::Model) -> Self {
        Self {
            id: c.id,
            code: c.code,
            name: c.name,
            name_en: c.name_en,
            province: c.province,
            prefecture: c.prefecture,
            reporting_cycle: c.reporting_cycle,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// A new city, or all of a city's fields (PUT).
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "330382", "name": "乐清市", "name_en": "Yueqing", "province": "浙江省", "prefecture": "温州市", "reporting_cycle": "quarterly"}))]
pub struct CityIn {
    /// 6-digit admin division code; unique.
    #[validate(custom(function = "admin_code"))]
    #[schema(example = "330382", pattern = "^[0-9]{6}$")]
    pub code: String,
    #[validate(nested)]
    #[schema(inline, example = "乐清市")]
    pub name: NonBlank<100>,
    #[validate(nested)]
    #[schema(inline)]
    pub name_en: NonBlank<100>,
    #[validate(nested)]
    #[schema(inline)]
    pub province: NonBlank<100>,
    #[validate(nested)]
    #[schema(inline)]
    pub prefecture: NonBlank<100>,
    /// `monthly` or `quarterly`; absent or `null`: none.
    pub reporting_cycle: Option<ReportingCycle>,
}

/// The city fields to change. `null` clears the reporting cycle.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reporting_cycle": "monthly"}))]
pub struct CityPatch {
    #[validate(custom(function = "admin_code"))]
    #[schema(pattern = "^[0-9]{6}$")]
    pub code: Option<String>,
    #[validate(nested)]
    #[schema(inline)]
    pub name: Option<NonBlank<100>>,
    #[validate(nested)]
    #[schema(inline)]
    pub name_en: Option<NonBlank<100>>,
    #[validate(nested)]
    #[schema(inline)]
    pub province: Option<NonBlank<100>>,
    #[validate(nested)]
    #[schema(inline)]
    pub prefecture: Option<NonBlank<100>>,
    /// `monthly`, `quarterly`, or `null` for none.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<ReportingCycle>)]
    pub reporting_cycle: Option<Option<ReportingCycle>>,
}

/// Parameters of the city list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CityListParams {
    /// Substring of the Chinese or English name.
    #[param(pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    pub q: Option<String>,
}
