//! Paging: sorting by named fields, keyset cursors, offsets and counts. A cursor holds the last
//! record's sort values, read from the record's JSON by pointer: the wire JSON is part of the
//! contract here too (see `ARCHITECTURE.md`).

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    Condition, ConnectionTrait, EntityTrait, FromQueryResult, Order, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Select,
    sea_query::{Alias, Asterisk, Expr, ExprTrait, Func, Query, SimpleExpr},
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::{
    error::{ApiError, Result},
    views::{
        page::{CountMode, DEFAULT_COUNT_LIMIT, DEFAULT_LIMIT, ListOptions, MAX_LIMIT, MAX_OFFSET},
        values::parse_period,
    },
};

/// How a sort column's cursor value is typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Uuid,
    Int,
    /// An integer the JSON shows as null when it is 0 (a livelihood project's `sub_seq`).
    IntOrNull,
    Text,
    Time,
    Date,
    /// The first year of a `period` string.
    PeriodStart,
    /// The last year of a `period` string.
    PeriodEnd,
}

/// One column a sort field orders by: the SQL expression, and where its value is in a record's
/// JSON (a JSON pointer), for cursors.
#[derive(Debug, Clone)]
pub struct SortColumn {
    pub expr: SimpleExpr,
    pub pointer: &'static str,
    pub kind: KeyKind,
}

impl SortColumn {
    pub fn new(expr: impl Into<SimpleExpr>, pointer: &'static str, kind: KeyKind) -> Self {
        Self { expr: expr.into(), pointer, kind }
    }
}

/// A sort field a list allows.
#[derive(Debug, Clone)]
pub struct SortKey {
    pub name: &'static str,
    pub columns: Vec<SortColumn>,
}

impl SortKey {
    pub fn new(name: &'static str, columns: Vec<SortColumn>) -> Self {
        Self { name, columns }
    }
}

/// A resolved sort: the columns in order with their directions, ending with the id so that the
/// order is total, and the spec it came from (cursors remember it).
#[derive(Debug, Clone, Default)]
pub struct Ordering {
    pub spec: String,
    pub columns: Vec<(SortColumn, Order)>,
}

/// Resolves `sort` (`field`, `-field`, comma-separated) against `keys`, whose first entry is the
/// default, and appends `id`. Only what the document lists is taken: no `+field` (a `+` in a query
/// string is a space, so `sort=+seq` would silently mean something else) and no spaces around names.
pub fn resolve_sort(sort: Option<&str>, keys: &[SortKey], id: SortColumn) -> Result<Ordering> {
    let default = keys.first().map(|k| k.name).unwrap_or("id");
    let spec = sort.filter(|s| !s.is_empty()).unwrap_or(default).to_owned();
    let mut columns = Vec::new();
    for part in spec.split(',') {
        let (field, order) = match part.strip_prefix('-') {
            Some(field) => (field, Order::Desc),
            None => (part, Order::Asc),
        };
        let Some(key) = keys.iter().find(|k| k.name == field) else {
            let allowed: Vec<&str> = keys.iter().map(|k| k.name).collect();
            return Err(ApiError::bad_field(
                "sort",
                format!(
                    "unknown sort field `{part}`; use one of {}, each alone or after `-` for descending, \
                     comma-separated without spaces",
                    allowed.join(", ")
                ),
            ));
        };
        columns.extend(key.columns.iter().cloned().map(|c| (c, order.clone())));
    }
    // Ties are broken by id in the direction of the last field, so that the whole order runs one
    // way when the fields do, and a cursor is then a single row comparison (see `after`).
    let last = columns.last().map_or(Order::Asc, |(_, order): &(SortColumn, Order)| order.clone());
    columns.push((id, last));
    Ok(Ordering { spec, columns })
}

/// Paging asked of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u64,
    pub offset: u64,
    pub cursor: Option<String>,
    pub count: Counting,
    /// Count the matches in the page's own statement; see [`Self::counted_along`].
    pub count_along: bool,
}

/// How far a page counts the matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counting {
    /// Not at all.
    Skip,
    /// Exactly, up to this many; past it the total is a lower bound.
    UpTo(u64),
    /// Exactly, however many.
    All,
}

impl Counting {
    /// The total to show for `counted` matches, and whether it is a lower bound: past the cap of
    /// `UpTo` the total is the cap (the count read one match more to tell).
    fn total(self, counted: u64) -> (Option<u64>, bool) {
        match self {
            Counting::Skip => (None, false),
            Counting::UpTo(limit) => (Some(Ord::min(counted, limit)), counted > limit),
            Counting::All => (Some(counted), false),
        }
    }
}

impl PageRequest {
    /// Checks `limit` (1–500, default 50), `offset` (0 or more), and that `cursor` and `offset`
    /// are not both given.
    pub fn from_options(options: &ListOptions) -> Result<Self> {
        let limit = options.limit.unwrap_or(DEFAULT_LIMIT as i64);
        if !(1..=MAX_LIMIT as i64).contains(&limit) {
            return Err(ApiError::bad_field("limit", format!("must be between 1 and {MAX_LIMIT}")));
        }
        let offset = options.offset.unwrap_or(0);
        if offset < 0 {
            return Err(ApiError::bad_field("offset", "must be 0 or more"));
        }
        if offset > MAX_OFFSET as i64 {
            // The database would read and drop every skipped row; a cursor seeks straight there.
            return Err(ApiError::bad_field(
                "offset",
                format!("must be at most {MAX_OFFSET}; page deeper with `cursor` (the `next_cursor` of each page)"),
            ));
        }
        Ok(Self {
            limit: limit as u64,
            offset: offset as u64,
            cursor: options.cursor.clone(),
            count: match options.count.unwrap_or_default() {
                CountMode::Auto => Counting::UpTo(options.count_limit.unwrap_or(DEFAULT_COUNT_LIMIT)),
                CountMode::Exact => Counting::All,
                CountMode::None => Counting::Skip,
            },
            count_along: false,
        })
    }

    /// This request for a select whose page reads every match whatever its limit, because no
    /// index gives its order (items found through their unit rows, say): the matches are then
    /// counted in the page's statement (`count(*) OVER ()`), one scan instead of two. Not for a
    /// select an index can page through, where the separate count stops at its cap and the page
    /// after its first rows: counted along, both would read every match.
    ///
    /// The total is the one counted apart, capped alike. A page after a cursor reads only the
    /// matches after it, and a page past the last match has no row to carry the count: both are
    /// counted apart.
    pub fn counted_along(&self) -> Self {
        Self { count_along: true, ..self.clone() }
    }
}

/// A cursor's content: the sort it belongs to and the last record's sort values.
#[derive(Debug, Serialize, Deserialize)]
struct Cursor {
    s: String,
    v: Vec<Value>,
}

fn bad_cursor() -> ApiError {
    ApiError::bad_field("cursor", "is not a cursor of this list and sort")
}

fn decode_cursor(cursor: &str, ordering: &Ordering) -> Result<Vec<sea_orm::Value>> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor.trim()).map_err(|_| bad_cursor())?;
    let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| bad_cursor())?;
    if cursor.s != ordering.spec || cursor.v.len() != ordering.columns.len() {
        return Err(bad_cursor());
    }
    cursor
        .v
        .iter()
        .zip(&ordering.columns)
        .map(|(value, (column, _))| typed(value, column.kind).ok_or_else(bad_cursor))
        .collect()
}

fn typed(value: &Value, kind: KeyKind) -> Option<sea_orm::Value> {
    Some(match kind {
        KeyKind::Uuid => Uuid::parse_str(value.as_str()?).ok()?.into(),
        KeyKind::Int => value.as_i64()?.into(),
        KeyKind::IntOrNull => (if value.is_null() { 0 } else { value.as_i64()? }).into(),
        KeyKind::PeriodStart => parse_period(value.as_str()?)?.0.into(),
        KeyKind::PeriodEnd => parse_period(value.as_str()?)?.1.into(),
        KeyKind::Text => value.as_str()?.to_owned().into(),
        KeyKind::Time => value.as_str()?.parse::<DateTime<Utc>>().ok()?.into(),
        KeyKind::Date => value.as_str()?.parse::<NaiveDate>().ok()?.into(),
    })
}

/// The cursor that continues after `record` (its JSON) in `ordering`.
fn encode_cursor(record: &Value, ordering: &Ordering) -> Option<String> {
    let values =
        ordering.columns.iter().map(|(c, _)| record.pointer(c.pointer).cloned()).collect::<Option<Vec<_>>>()?;
    let json = serde_json::to_vec(&Cursor { s: ordering.spec.clone(), v: values }).ok()?;
    Some(URL_SAFE_NO_PAD.encode(json))
}

/// `(a, b, …) > (x, y, …)` in the ordering's directions: the rows after the cursor.
fn after(ordering: &Ordering, values: Vec<sea_orm::Value>) -> Condition {
    let descending = |order: &Order| *order == Order::Desc;
    let mut directions = ordering.columns.iter().map(|(_, order)| descending(order));
    if let Some(first) = directions.next()
        && directions.all(|d| d == first)
    {
        // One direction: `(a, b, …) > (x, y, …)`, which an index on the same columns answers as a
        // range, however deep the cursor.
        let row = Expr::tuple(ordering.columns.iter().map(|(column, _)| column.expr.clone()));
        let cursor = Expr::tuple(values.into_iter().map(Expr::val));
        return Condition::all().add(if first { row.lt(cursor) } else { row.gt(cursor) });
    }
    let mut any = Condition::any();
    for k in 0..ordering.columns.len() {
        let mut all = Condition::all();
        for (i, ((column, order), value)) in ordering.columns.iter().zip(&values).enumerate().take(k + 1) {
            let expr = column.expr.clone();
            all = all.add(if i < k {
                expr.eq(value.clone())
            } else if *order == Order::Desc {
                expr.lt(value.clone())
            } else {
                expr.gt(value.clone())
            });
        }
        any = any.add(all);
    }
    any
}

/// One page of records.
#[derive(Debug)]
pub struct Listing<T> {
    pub items: Vec<T>,
    /// All matches; `None` when the count was skipped.
    pub total: Option<u64>,
    /// Whether `total` is a lower bound: the count stopped at its limit.
    pub total_is_lower_bound: bool,
    pub limit: u64,
    pub offset: u64,
    /// Whether records follow this page.
    pub has_more: bool,
    /// The sort, for the next cursor.
    pub ordering: Ordering,
    /// Whether the page was asked for by cursor.
    pub by_cursor: bool,
}

impl<T> Listing<T> {
    /// The same page with other records (the loaded form of these).
    pub fn with_items<U>(self, items: Vec<U>) -> Listing<U> {
        Listing {
            items,
            total: self.total,
            total_is_lower_bound: self.total_is_lower_bound,
            limit: self.limit,
            offset: self.offset,
            has_more: self.has_more,
            ordering: self.ordering,
            by_cursor: self.by_cursor,
        }
    }

    /// Maps the records, keeping the rest.
    pub fn map<U>(mut self, f: impl FnMut(T) -> U) -> Listing<U> {
        let items = std::mem::take(&mut self.items).into_iter().map(f).collect();
        self.with_items(items)
    }
}

/// How many rows `select` matches, counting no further than `cap`: the database stops reading
/// at the cap instead of visiting every match.
async fn count_up_to<E: EntityTrait>(db: &impl ConnectionTrait, select: &Select<E>, cap: u64) -> Result<u64> {
    let matches = select.clone().select_only().expr(Expr::val(1)).limit(cap).into_query();
    let count = Query::select()
        .expr_as(Func::count(Expr::col(Asterisk)), Alias::new("n"))
        .from_subquery(matches, Alias::new("capped"))
        .to_owned();
    let row = db.query_one(&count).await?.ok_or_else(|| anyhow::anyhow!("a count returned no row"))?;
    Ok(u64::try_from(row.try_get::<i64>("", "n")?).unwrap_or_default())
}

/// Runs `select` in `ordering` for the page `request` asks for, counting the matches as far as
/// `request` says.
pub async fn fetch<E: EntityTrait>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    ordering: Ordering,
    request: &PageRequest,
) -> Result<Listing<E::Model>>
where
    E::Model: Sync,
{
    fetch_as::<E, E::Model>(db, select, ordering, request).await
}

/// [`fetch`] for a select whose rows are read as `M` (columns chosen with `select_only`, joined
/// relations included).
pub async fn fetch_as<E: EntityTrait, M: FromQueryResult + Send + Sync>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    ordering: Ordering,
    request: &PageRequest,
) -> Result<Listing<M>>
where
    E::Model: Sync,
{
    if request.count_along && request.cursor.is_none() && request.count != Counting::Skip {
        let counting = select.clone().expr_as(Expr::cust("count(*) OVER ()"), MATCHES_COUNTED);
        let rows = page_of(counting, &ordering, request)?.into_model::<CountedAlong<M>>().all(db).await?;
        if let Some(total) = total_counted_along(&rows, request) {
            let items = rows.into_iter().map(|row| row.row).collect();
            return Ok(Listing::of_page(items, total, ordering, request));
        }
    }
    // The page first, so that a cursor that does not decode costs no count.
    let page = page_of(select.clone(), &ordering, request)?;
    let counted = match request.count {
        Counting::Skip => 0,
        Counting::All => select.count(db).await?,
        Counting::UpTo(limit) => count_up_to(db, &select, limit.saturating_add(1)).await?,
    };
    let total = request.count.total(counted);
    let items = page.into_model::<M>().all(db).await?;
    Ok(Listing::of_page(items, total, ordering, request))
}

/// The column a page counted along ([`PageRequest::counted_along`]) counts the matches into.
const MATCHES_COUNTED: &str = "matches_counted";

/// The total a page counted along carries, and whether it is a lower bound; `None` for a page
/// past the last match, which has no row to carry it.
fn total_counted_along<M>(rows: &[CountedAlong<M>], request: &PageRequest) -> Option<(Option<u64>, bool)> {
    let counted = match rows.first() {
        Some(row) => u64::try_from(row.matches).unwrap_or_default(),
        None if request.offset == 0 => 0,
        None => return None,
    };
    Some(request.count.total(counted))
}

/// A row of a page and the count of all matches beside it.
struct CountedAlong<M> {
    row: M,
    matches: i64,
}

impl<M: FromQueryResult> FromQueryResult for CountedAlong<M> {
    fn from_query_result(res: &sea_orm::QueryResult, pre: &str) -> std::result::Result<Self, sea_orm::DbErr> {
        Ok(Self { row: M::from_query_result(res, pre)?, matches: res.try_get(pre, MATCHES_COUNTED)? })
    }
}

/// `select` ordered, after the cursor, offset and limited for the page `request` asks for, with
/// one row more than the page to tell whether another follows.
fn page_of<E: EntityTrait>(select: Select<E>, ordering: &Ordering, request: &PageRequest) -> Result<Select<E>> {
    let mut select = select;
    for (column, order) in &ordering.columns {
        select = select.order_by(column.expr.clone(), order.clone());
    }
    if let Some(cursor) = &request.cursor {
        select = select.filter(after(ordering, decode_cursor(cursor, ordering)?));
    }
    Ok(select.offset(request.offset).limit(request.limit + 1))
}

impl<T> Listing<T> {
    /// The page of `items` read by [`page_of`] (one more than asked when another page follows),
    /// with the matches' total and whether it is a lower bound.
    fn of_page(mut items: Vec<T>, total: (Option<u64>, bool), ordering: Ordering, request: &PageRequest) -> Self {
        let has_more = items.len() as u64 > request.limit;
        items.truncate(request.limit as usize);
        Listing {
            items,
            total: total.0,
            total_is_lower_bound: total.1,
            limit: request.limit,
            offset: request.offset,
            has_more,
            ordering,
            by_cursor: request.cursor.is_some(),
        }
    }
}

impl<T: serde::Serialize> Listing<T> {
    /// The cursor that continues after this page, when records follow it: the sort keys of its
    /// last record, read from the record's JSON.
    pub fn next_cursor(&self) -> Option<String> {
        if !self.has_more {
            return None;
        }
        let last = serde_json::to_value(self.items.last()?).ok()?;
        encode_cursor(&last, &self.ordering)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn cursors_round_trip_through_their_sort() {
        let ordering = Ordering {
            spec: "progress".to_owned(),
            columns: vec![
                (SortColumn::new(sea_orm::sea_query::Expr::col("progress"), "/progress", KeyKind::Int), Order::Asc),
                (SortColumn::new(sea_orm::sea_query::Expr::col("id"), "/id", KeyKind::Uuid), Order::Asc),
            ],
        };
        let record = json!({"progress": 40, "id": "01900000-0000-7000-8000-000000000000"});
        let cursor = encode_cursor(&record, &ordering).expect("a cursor");
        assert_eq!(decode_cursor(&cursor, &ordering).expect("decodes").len(), 2);
        let other = Ordering { spec: "-progress".to_owned(), ..ordering };
        assert!(decode_cursor(&cursor, &other).is_err());
        assert!(decode_cursor("not-a-cursor", &other).is_err());
    }
}
