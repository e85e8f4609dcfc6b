//! Documents as they cross the wire.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use entity::item::ItemKind;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::views::{
    CityRef,
    values::{NonBlank, double_option},
};

/// An issued notice with its sections.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentOut {
    pub id: Uuid,
    pub city: CityRef,
    #[schema(example = "乐政办函〔2021〕7号")]
    pub doc_number: String,
    pub title: String,
    #[schema(example = "乐清市人民政府办公室")]
    pub issuer: String,
    /// The date written on the document.
    pub issued_on: NaiveDate,
    /// When it was published online, where the source says.
    pub published_at: Option<DateTime<Utc>>,
    pub recipients: Option<String>,
    /// 抄送.
    pub cc: Option<String>,
    /// 公开方式, e.g. 此件公开发布.
    pub disclosure: Option<String>,
    /// Attachments or plans, in order.
    pub sections: Vec<SectionOut>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One attachment or plan of a document.
#[derive(Debug, Serialize, ToSchema)]
pub struct SectionOut {
    pub id: Uuid,
    /// 附件 number.
    pub number: i32,
    /// Which collection its items are in.
    pub kind: ItemKind,
    pub title: String,
    /// `YYYY` or `YYYY-YYYY`.
    #[schema(example = "2021-2025")]
    pub period: String,
    /// How many items it lists.
    pub item_count: i64,
}

/// Parameters of the document list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DocumentListParams {
    /// City id or admin division code.
    #[param(
        example = "330382",
        pattern = "^([0-9]{6}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
    )]
    pub city: Option<String>,
    /// Issued in this year.
    #[param(example = 2021, minimum = 1, maximum = 9999)]
    pub year: Option<i32>,
    /// Substring of the title or doc number.
    #[param(pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    pub q: Option<String>,
    /// Issued on or after this date.
    pub issued_from: Option<NaiveDate>,
    /// Issued on or before this date.
    pub issued_to: Option<NaiveDate>,
}

/// A new document, or all of a document's fields (PUT). Sections are written at `/sections`.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"city": "330382", "doc_number": "乐政办函〔2021〕7号", "title": "乐清市人民政府办公室关于印发2021年政府工作报告重点工作责任分解和民生实事项项目责任分解的通知", "issuer": "乐清市人民政府办公室", "issued_on": "2021-04-27", "published_at": null, "recipients": "各乡镇人民政府、街道办事处，市各有关单位", "cc": "市委、人大、政协办公室", "disclosure": "此件公开发布"}))]
pub struct DocumentIn {
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
    pub doc_number: NonBlank<100>,
    #[validate(nested)]
    #[schema(inline)]
    pub title: NonBlank<500>,
    #[validate(nested)]
    #[schema(inline)]
    pub issuer: NonBlank<200>,
    #[validate(custom(function = "crate::views::values::valid_date"))]
    pub issued_on: NaiveDate,
    pub published_at: Option<DateTime<FixedOffset>>,
    #[validate(length(max = 1000))]
    #[schema(max_length = 1000, pattern = "^[^\\u0000]*$")]
    pub recipients: Option<String>,
    #[validate(length(max = 1000))]
    #[schema(max_length = 1000, pattern = "^[^\\u0000]*$")]
    pub cc: Option<String>,
    #[validate(length(max = 200))]
    #[schema(max_length = 200, pattern = "^[^\\u0000]*$")]
    pub disclosure: Option<String>,
}

/// The document fields to change; `null` clears an optional one.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentPatch {
    #[validate(nested)]
    #[schema(inline)]
    pub doc_number: Option<NonBlank<100>>,
    #[validate(nested)]
    #[schema(inline)]
    pub title: Option<NonBlank<500>>,
    #[validate(nested)]
    #[schema(inline)]
    pub issuer: Option<NonBlank<200>>,
    #[validate(custom(function = "crate::views::values::valid_date"))]
    pub issued_on: Option<NaiveDate>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<DateTime<FixedOffset>>)]
    pub published_at: Option<Option<DateTime<FixedOffset>>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(max = 1000))]
    #[schema(value_type = Option<String>, max_length = 1000, pattern = "^[^\\u0000]*$")]
    pub recipients: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(max = 1000))]
    #[schema(value_type = Option<String>, max_length = 1000, pattern = "^[^\\u0000]*$")]
    pub cc: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(max = 200))]
    #[schema(value_type = Option<String>, max_length = 200, pattern = "^[^\\u0000]*$")]
    pub disclosure: Option<Option<String>>,
}
