//! Sections as they cross the wire.

use chrono::{DateTime, Utc};
use entity::item::ItemKind;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::views::{CityRef, values::NonBlank};

/// One attachment or plan of a document.
#[derive(Debug, Serialize, ToSchema)]
pub struct SectionDetailOut {
    pub id: Uuid,
    pub document_id: Uuid,
    pub city: CityRef,
    /// 附件 number within the document.
    pub number: i32,
    /// Which collection its items are in.
    pub kind: ItemKind,
    pub title: String,
    /// `YYYY` or `YYYY-YYYY`; its items share it.
    #[schema(example = "2021-2025")]
    pub period: String,
    /// How many items it lists.
    pub item_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new section, or all of a section's fields (PUT).
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"document": "0190b7d2-6f1e-7c3a-9a4e-2b5c8d1e3f42", "number": 2, "kind": "work_item", "title": "2021年政府工作报告重点工作责任分解", "period": "2021"}))]
pub struct SectionIn {
    /// The document's id. It cannot change.
    pub document: Uuid,
    /// Unique within the document.
    #[validate(range(min = 1, max = 1000))]
    #[schema(minimum = 1, maximum = 1000)]
    pub number: i32,
    /// It cannot change while the section has items.
    pub kind: ItemKind,
    #[validate(nested)]
    #[schema(inline)]
    pub title: NonBlank<500>,
    /// `YYYY` or `YYYY-YYYY`.
    #[validate(custom(function = "crate::views::values::period"))]
    #[schema(example = "2021", pattern = "^[0-9]{4}(-[0-9]{4})?$")]
    pub period: String,
}

/// The section fields to change.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SectionPatch {
    #[validate(range(min = 1, max = 1000))]
    #[schema(minimum = 1, maximum = 1000)]
    pub number: Option<i32>,
    /// It cannot change while the section has items.
    pub kind: Option<ItemKind>,
    #[validate(nested)]
    #[schema(inline)]
    pub title: Option<NonBlank<500>>,
    /// `YYYY` or `YYYY-YYYY`; the section's items take it too.
    #[validate(custom(function = "crate::views::values::period"))]
    #[schema(pattern = "^[0-9]{4}(-[0-9]{4})?$")]
    pub period: Option<String>,
}

/// Parameters of the section list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SectionListParams {
    /// City id or admin division code.
    #[param(
        example = "330382",
        pattern = "^([0-9]{6}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
    )]
    pub city: Option<String>,
    /// Document id.
    pub document: Option<Uuid>,
    /// Which kind of item the sections list.
    pub kind: Option<ItemKind>,
}
