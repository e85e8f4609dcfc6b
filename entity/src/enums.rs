//! The string enums tables share: an item's kind and status, a unit's role, a city's reporting
//! cycle. In a module of their
//! own so that the tables using them do not import each other.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Which collection an item belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// 重点工作
    #[sea_orm(string_value = "work_item")]
    WorkItem,
    /// 民生实事项目
    #[sea_orm(string_value = "livelihood_project")]
    LivelihoodProject,
}

/// How far an item has got.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[sea_orm(string_value = "not_started")]
    NotStarted,
    #[sea_orm(string_value = "in_progress")]
    InProgress,
    #[sea_orm(string_value = "completed")]
    Completed,
    #[sea_orm(string_value = "delayed")]
    Delayed,
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
}

/// A unit's role in an item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum UnitRole {
    /// Leads the item (牵头单位, or marked `*`).
    #[sea_orm(string_value = "lead")]
    Lead,
    /// Shares the item without leading it.
    #[sea_orm(string_value = "responsible")]
    Responsible,
    /// Cooperates with the lead unit (配合单位).
    #[sea_orm(string_value = "cooperating")]
    Cooperating,
}

/// How often a city's units report on their items.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum ReportingCycle {
    /// Every month (`2021-06`).
    #[sea_orm(string_value = "monthly")]
    Monthly,
    /// Every quarter (`2021-Q2`).
    #[sea_orm(string_value = "quarterly")]
    Quarterly,
}
