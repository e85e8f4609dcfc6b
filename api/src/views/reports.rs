//! Progress reports (督办 reports) as they cross the wire.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{item::ItemKind, item::Status, item_unit::UnitRole};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::views::{
    CityRef,
    items::NameOrId,
    revisions::ActorOut,
    values::{NonBlank, double_option},
};

/// The item a report is on.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportItemRef {
    pub id: Uuid,
    /// `work_item` or `livelihood_project`: which collection the item is in.
    pub kind: ItemKind,
}

/// A unit, as a report names it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnitRef {
    pub id: Uuid,
    #[schema(example = "市发改局")]
    pub name: String,
}

/// A dated progress report by one of an item's units. The item's status and progress follow its
/// latest report (by `as_of`, then by filing time).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0190b7d2-6f1e-7c3a-9a4e-2b5c8d1e3f99",
    "item": {"id": "0190b7d2-6f1e-7c3a-9a4e-2b5c8d1e3f42", "kind": "work_item"},
    "city": {"id": "0190b7d2-6f1e-7c3a-9a4e-2b5c8d1e3f01", "code": "330382", "name": "乐清市"},
    "unit": {"id": "0190b7d2-6f1e-7c3a-9a4e-2b5c8d1e3f10", "name": "市发改局"},
    "as_of": "2021-06-30", "status": "in_progress", "progress": 40,
    "text": "已完成项目选址和可研批复。", "problems": "用地指标紧张。", "help_requested": "请市自然资源和规划局协调用地指标。",
    "filed_by": {"id": "0190b7d2-6f1e-7c3a-9a4e-2b5c8d1e3f77", "name": "fgj-reporter"},
    "created_at": "2021-07-02T09:00:00Z", "updated_at": "2021-07-02T09:00:00Z"
}))]
pub struct ReportOut {
    pub id: Uuid,
    pub item: ReportItemRef,
    pub city: CityRef,
    /// The unit that reports.
    pub unit: UnitRef,
    /// The day the report speaks for.
    pub as_of: NaiveDate,
    pub status: Status,
    /// 0–100.
    #[schema(minimum = 0, maximum = 100)]
    pub progress: i32,
    /// 进展情况: what was done.
    pub text: String,
    /// 存在问题: what the unit met.
    pub problems: Option<String>,
    /// 需协调事项: what the unit cannot solve alone and asks help for.
    pub help_requested: Option<String>,
    /// The account that filed the report, named as it was then.
    pub filed_by: ActorOut,
    pub created_at: DateTime<Utc>,
    /// When it was last corrected (every correction is a revision).
    pub updated_at: DateTime<Utc>,
}

/// A new progress report on the item of the URL.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"unit": "市发改局", "as_of": "2021-06-30", "status": "in_progress", "progress": 40, "text": "已完成项目选址和可研批复。", "problems": "用地指标紧张。", "help_requested": "请市自然资源和规划局协调用地指标。"}))]
pub struct ReportIn {
    /// The reporting unit's id, or its exact name; one of the item's units.
    #[validate(nested)]
    #[schema(inline)]
    pub unit: NonBlank<100>,
    /// The day the report speaks for.
    #[validate(custom(function = "crate::views::values::valid_date"))]
    pub as_of: NaiveDate,
    pub status: Status,
    #[validate(range(min = 0, max = 100))]
    #[schema(minimum = 0, maximum = 100)]
    pub progress: i32,
    #[validate(nested)]
    #[schema(inline)]
    pub text: NonBlank<5000>,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000, pattern = "^[^\\u0000]*$")]
    pub problems: Option<String>,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000, pattern = "^[^\\u0000]*$")]
    pub help_requested: Option<String>,
}

/// A correction of a report: the fields to change. The unit and the item cannot change; the
/// report before the correction stays in its revisions. `null` clears an optional field.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"progress": 45, "text": "已完成项目选址、可研批复和初步设计。"}))]
pub struct ReportPatch {
    #[validate(custom(function = "crate::views::values::valid_date"))]
    pub as_of: Option<NaiveDate>,
    pub status: Option<Status>,
    #[validate(range(min = 0, max = 100))]
    #[schema(minimum = 0, maximum = 100)]
    pub progress: Option<i32>,
    #[validate(nested)]
    #[schema(inline)]
    pub text: Option<NonBlank<5000>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(min = 1, max = 2000))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 2000, pattern = "^[^\\u0000]*$")]
    pub problems: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(min = 1, max = 2000))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 2000, pattern = "^[^\\u0000]*$")]
    pub help_requested: Option<Option<String>>,
}

/// Parameters of the report lists.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportListParams {
    /// City id or admin division code.
    #[param(
        example = "330382",
        pattern = "^([0-9]{6}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
    )]
    pub city: Option<String>,
    /// Reports on the items of this document.
    pub document: Option<Uuid>,
    /// Reports by this unit (id or exact name); repeat or comma-separate for any of several.
    #[serde(default)]
    #[param(example = json!(["市发改局"]), value_type = Vec<NameOrId>)]
    pub unit: Vec<String>,
    /// Reports on the items this leader leads (id or exact name); repeat or comma-separate for
    /// any of several.
    #[serde(default)]
    #[param(example = json!(["何学考"]), value_type = Vec<NameOrId>)]
    pub leader: Vec<String>,
    /// Reports as of this day or later.
    #[param(example = "2021-04-01")]
    pub from: Option<NaiveDate>,
    /// Reports as of this day or earlier.
    #[param(example = "2021-06-30")]
    pub to: Option<NaiveDate>,
}

/// A report a unit owes: one of its items, active in the period, that it has not reported on
/// (no report `as_of` within the period).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "period": "2021-Q2",
    "item": {"id": "0190b7d2-6f1e-7c3a-9a4e-2b5c8d1e3f42", "kind": "work_item"},
    "city": {"id": "0190b7d2-6f1e-7c3a-9a4e-2b5c8d1e3f01", "code": "330382", "name": "乐清市"},
    "unit": {"id": "0190b7d2-6f1e-7c3a-9a4e-2b5c8d1e3f10", "name": "市发改局"},
    "role": "lead", "due_on": "2021-12-31"
}))]
pub struct MissingReportOut {
    /// The reporting period the report is owed for: the one asked for, or the city's own (its
    /// cycle's current period without `period`; the quarter around an asked month for a city that
    /// reports quarterly).
    #[schema(example = "2021-Q2")]
    pub period: String,
    pub item: ReportItemRef,
    pub city: CityRef,
    /// The unit that owes the report.
    pub unit: UnitRef,
    /// The unit's role on the item.
    pub role: UnitRole,
    /// When the item is due.
    pub due_on: NaiveDate,
}

/// Parameters of the list of missing reports.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MissingReportParams {
    /// The reporting period: a quarter (`2021-Q2`) or a month (`2021-06`). A city that reports
    /// quarterly is asked about the quarter around a month. Without it, each city with a
    /// `reporting_cycle` is asked about its cycle's current period (today's month or quarter), and
    /// cities without one are left out; with `city` naming a city without one, it is required.
    #[param(example = "2021-Q2", pattern = "^[0-9]{4}-(Q[1-4]|0[1-9]|1[0-2])$")]
    pub period: Option<String>,
    /// City id or admin division code.
    #[param(
        example = "330382",
        pattern = "^([0-9]{6}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
    )]
    pub city: Option<String>,
    /// Only these units (id or exact name); repeat or comma-separate for any of several.
    #[serde(default)]
    #[param(example = json!(["市发改局"]), value_type = Vec<NameOrId>)]
    pub unit: Vec<String>,
}

/// A reporting period: a month or a quarter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// `2021-06` or `2021-Q2`.
    pub label: String,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub interval: Interval,
}

impl Period {
    /// The period `label` names, `2021-Q2` or `2021-06`; `None` when malformed.
    pub fn parse(label: &str) -> Option<Self> {
        let (first_day, last_day) = reporting_period(label)?;
        let interval = if label.contains('Q') { Interval::Quarter } else { Interval::Month };
        Some(Self { label: label.to_owned(), first_day, last_day, interval })
    }

    /// The month or quarter `day` is in.
    pub fn containing(day: NaiveDate, interval: Interval) -> Self {
        let label = bucket_of(day, interval);
        let (first_day, last_day) = reporting_period(&label).expect("a bucket is a period");
        Self { label, first_day, last_day, interval }
    }
}

/// The first and last day of a reporting period, `2021-Q2` or `2021-06`; `None` when malformed.
pub fn reporting_period(period: &str) -> Option<(NaiveDate, NaiveDate)> {
    let (year, part) = period.split_once('-')?;
    if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year: i32 = year.parse().ok()?;
    let (first_month, months) = match part.strip_prefix('Q') {
        Some(quarter) if quarter.len() == 1 => {
            (3 * quarter.parse::<u32>().ok().filter(|q| (1..=4).contains(q))? - 2, 3)
        }
        Some(_) => return None,
        None if part.len() == 2 => (part.parse::<u32>().ok().filter(|m| (1..=12).contains(m))?, 1),
        None => return None,
    };
    let start = NaiveDate::from_ymd_opt(year, first_month, 1)?;
    let next = start.checked_add_months(chrono::Months::new(months))?;
    Some((start, next.pred_opt()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_quarters_or_months() {
        let day = |s: &str| s.parse::<NaiveDate>().ok();
        assert_eq!(reporting_period("2021-Q2"), day("2021-04-01").zip(day("2021-06-30")));
        assert_eq!(reporting_period("2021-Q4"), day("2021-10-01").zip(day("2021-12-31")));
        assert_eq!(reporting_period("2024-02"), day("2024-02-01").zip(day("2024-02-29")));
        for bad in ["2021", "2021-Q5", "2021-Q0", "2021-13", "2021-6", "21-Q1", "2021-Q12"] {
            assert_eq!(reporting_period(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_day_is_in_one_month_and_one_quarter() {
        let day = NaiveDate::from_ymd_opt(2022, 1, 15).expect("a date");
        assert_eq!(Some(Period::containing(day, Interval::Month)), Period::parse("2022-01"));
        assert_eq!(Some(Period::containing(day, Interval::Quarter)), Period::parse("2022-Q1"));
        assert_eq!(Period::parse("2022-Q1").map(|p| p.interval), Some(Interval::Quarter));
    }
}

/// The length of a trend's buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    Month,
    Quarter,
}

/// What a trend's buckets are split by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TrendGroupBy {
    /// The report's city.
    City,
    /// The reporting unit.
    Unit,
    /// The leader of the item reported on (items without one are left out).
    Leader,
}

/// Parameters of the report trends.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportTrendParams {
    /// `month` or `quarter` (of the reports' `as_of`).
    pub interval: Interval,
    /// `city` (default), `unit` or `leader`.
    pub group_by: Option<TrendGroupBy>,
    /// City id or admin division code.
    #[param(
        example = "330382",
        pattern = "^([0-9]{6}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
    )]
    pub city: Option<String>,
    /// Reports by this unit (id or exact name); repeat or comma-separate for any of several.
    #[serde(default)]
    #[param(value_type = Vec<NameOrId>)]
    pub unit: Vec<String>,
    /// Reports on items of this leader (id or exact name); repeat or comma-separate for several.
    #[serde(default)]
    #[param(value_type = Vec<NameOrId>)]
    pub leader: Vec<String>,
    /// Reports as of this day or later.
    pub from: Option<NaiveDate>,
    /// Reports as of this day or earlier.
    pub to: Option<NaiveDate>,
}

/// A city, unit or leader a trend bucket is about.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrendGroupOut {
    pub id: Uuid,
    #[schema(example = "市发改局")]
    pub name: String,
}

/// One bucket of a trend: the reports of one interval and one group.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrendBucketOut {
    /// `2021-06` (month) or `2021-Q2` (quarter).
    #[schema(example = "2021-Q2")]
    pub period: String,
    pub group: TrendGroupOut,
    /// Reports with `as_of` in the period.
    pub reports: u64,
    /// Items they are on.
    pub items: u64,
    /// The mean of the reports' progress.
    pub average_progress: f64,
    /// Items with a report of status `completed` in the period.
    pub completed: u64,
    /// Items reported on in the period past their due date while neither completed nor cancelled.
    pub overdue: u64,
}

/// Trends of the progress reports over time, for dashboards.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"interval": "quarter", "group_by": "unit", "buckets": [{"period": "2021-Q2", "group": {"id": "0190b7d2-6f1e-7c3a-9a4e-2b5c8d1e3f10", "name": "市发改局"}, "reports": 12, "items": 9, "average_progress": 41.5, "completed": 1, "overdue": 0}]}))]
pub struct ReportTrendsOut {
    pub interval: Interval,
    pub group_by: TrendGroupBy,
    /// By period, then group name.
    pub buckets: Vec<TrendBucketOut>,
}

/// The bucket of `day`: `2021-06` or `2021-Q2`.
pub fn bucket_of(day: NaiveDate, interval: Interval) -> String {
    use chrono::Datelike;
    match interval {
        Interval::Month => format!("{:04}-{:02}", day.year(), day.month()),
        Interval::Quarter => format!("{:04}-Q{}", day.year(), day.month().div_ceil(3)),
    }
}
