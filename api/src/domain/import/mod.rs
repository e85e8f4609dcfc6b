//! Importing document files: one transaction per document, idempotent, matched by natural keys.

pub mod check;
pub mod notice;
mod snapshot;

use std::collections::{BTreeMap, HashMap, HashSet};

use anyhow::Context;
use chrono::Utc;
use entity::{city, document, item, item::Status, item_unit, leader, section, unit};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, EntityTrait, IntoActiveModel, QueryFilter, QueryTrait, TransactionTrait,
};
use uuid::Uuid;

use crate::{
    domain::{
        collection,
        dependents::Target,
        journal::{self, Actor, Change},
        overlap,
        resource::{Authority, Trusted},
        search,
        snapshots::{Snapshots, snapshots},
        trend_tallies,
    },
    error::{ApiError, Result},
    views::{
        import::{
            CreatedRecord, DocumentFile, FileItem, FileSection, ImportPreview, ImportSummary, ImportTally,
            UnchangedRecord, UpdatedRecord,
        },
        values::parse_period,
    },
};

/// The seed documents shipped with Duban, loaded into an empty database on first start.
pub const SEED_FILES: [(&str, &str); 2] = [
    ("data/yueqing-2021-7.json", include_str!("../../../../data/yueqing-2021-7.json")),
    ("data/yuhuan-2021-9.json", include_str!("../../../../data/yuhuan-2021-9.json")),
];

impl ImportTally {
    fn count(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Created => self.created += 1,
            Outcome::Updated => self.updated += 1,
            Outcome::Unchanged => self.unchanged += 1,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Outcome {
    Created,
    Updated,
    Unchanged,
}

/// Imports one document file in one transaction: all of it, or nothing, once `who` may write to
/// the file's city (an import that would create the city needs the powers of an admin). Every
/// record it creates or changes is written to the revision log as `who`'s.
#[tracing::instrument(skip_all, fields(doc_number = %file.document.doc_number))]
pub async fn import_document(
    db: &DatabaseConnection,
    file: &DocumentFile,
    who: &impl Authority,
) -> Result<ImportSummary> {
    file.validate()?;
    let txn = db.begin().await?;
    let mut applied = apply_and_compare(db, &txn, file, who).await?;
    journal::record(&txn, &who.actor(), applied.changes).await?;
    applied.search_merge.finish().await;
    txn.commit().await.map_err(ApiError::from_commit)?;
    Ok(applied.summary)
}

/// Runs the import of `file` exactly as [`import_document`] would, then rolls it back: the
/// preview lists every record it would create, update (before and after) and leave unchanged.
/// Nothing is written, not even a revision; the same checks apply, so a file that would fail
/// fails here with the same error.
#[tracing::instrument(skip_all, fields(doc_number = %file.document.doc_number))]
pub async fn preview_document(
    db: &DatabaseConnection,
    file: &DocumentFile,
    who: &impl Authority,
) -> Result<ImportPreview> {
    file.validate()?;
    let txn = db.begin().await?;
    let applied = apply_and_compare(db, &txn, file, who).await;
    // Roll back whether the import succeeded or not: a dry run leaves nothing behind.
    txn.rollback().await?;
    let mut applied = applied?;
    // The rolled-back items' entries were pending too: a search skips them once merged.
    applied.search_merge.finish().await;
    Ok(applied.into_preview())
}

/// What an import did inside its transaction, before it is committed or rolled back.
struct Applied {
    summary: ImportSummary,
    /// Every record created or changed, as the revision log records it.
    changes: Vec<Change>,
    /// Records the file names that exist and stay as they were.
    unchanged: Vec<Target>,
    /// The merge of the created items' search entries, to finish before the commit.
    search_merge: search::Merge,
}

impl Applied {
    fn into_preview(self) -> ImportPreview {
        let mut created = Vec::new();
        let mut updated = Vec::new();
        for change in self.changes {
            let resource_type = change.resource_type.to_owned();
            match (change.before, change.after) {
                (None, Some(after)) => {
                    created.push(CreatedRecord { resource_type, resource_id: change.resource_id, after })
                }
                (Some(before), Some(after)) => {
                    updated.push(UpdatedRecord { resource_type, resource_id: change.resource_id, before, after })
                }
                // An import never deletes.
                (_, None) => {}
            }
        }
        let unchanged = self
            .unchanged
            .into_iter()
            .map(|(collection, id)| UnchangedRecord { resource_type: collection.to_owned(), resource_id: id })
            .collect();
        ImportPreview { dry_run: true, summary: self.summary, created, updated, unchanged, notice: None }
    }
}

/// Applies `file` inside `txn` and compares what the API shows before and after.
///
/// Most imports repeat a document whose city, leaders, units, document and sections stay as they
/// were. Then no item's representation changes through them, and only the items the file changes
/// need to be read before and after (a re-import of an unchanged document reads none). That is
/// tried in a savepoint; when one of those parents changes, the import starts over and compares
/// whole snapshots of the document.
async fn apply_and_compare(
    pool: &DatabaseConnection,
    txn: &DatabaseTransaction,
    file: &DocumentFile,
    who: &impl Authority,
) -> Result<Applied> {
    // An import reads what it will change before and after; holding the journal's turn for the
    // whole transaction keeps other writers' commits out of that window.
    journal::serialize(txn).await?;
    let existing_city = city::Entity::find().filter(city::Column::Code.eq(&file.city.code)).one(txn).await?;
    who.authorize(existing_city.map(|c| c.id))?;
    let now = Utc::now();
    let (code, doc_number) = (&file.city.code, &file.document.doc_number);
    let attempt = txn.begin().await?;
    let parents = apply_parents(&attempt, file, now).await?;
    let (parents, whole_before) = if parents.changed() {
        attempt.rollback().await?;
        let before = snapshot::of_document(txn, code, doc_number, Snapshots::new()).await?;
        (apply_parents(txn, file, now).await?, Some(before))
    } else {
        attempt.commit().await?;
        (parents, None)
    };
    let mut plan = plan_items(txn, file, &parents, now).await?;
    let embedded = snapshot::Embedded::of(&parents);
    let (before, after, search_merge) = match whole_before {
        Some(before) => {
            let (created, merge) = plan.write(txn, pool, embedded).await?;
            (before, snapshot::of_document(txn, code, doc_number, created).await?, merge)
        }
        None => {
            let changing = plan.changing();
            let before = snapshots(txn, &changing).await?;
            let (created, merge) = plan.write(txn, pool, embedded).await?;
            let mut after = snapshots(txn, &changing).await?;
            after.extend(created);
            (before, after, merge)
        }
    };
    let changes = snapshot::changes_between(before, after);
    let changed: HashSet<Target> = changes.iter().map(|change| (change.resource_type, change.resource_id)).collect();
    let unchanged = parents.named.into_iter().chain(plan.named).filter(|target| !changed.contains(target)).collect();
    let summary = ImportSummary { items: plan.tally, items_left: plan.items_left, ..parents.summary };
    Ok(Applied { summary, changes, unchanged, search_merge })
}

/// Loads the seed documents when the database holds no document yet. Returns how many it loaded.
pub async fn seed_if_empty(db: &DatabaseConnection) -> anyhow::Result<usize> {
    use sea_orm::PaginatorTrait;
    if document::Entity::find().count(db).await.context("Failed to count documents")? > 0 {
        return Ok(0);
    }
    for (name, json) in SEED_FILES {
        let file = DocumentFile::from_json(json.as_bytes()).with_context(|| format!("Seed file {name} is invalid"))?;
        let summary = import_document(db, &file, &Trusted(Actor::system()))
            .await
            .with_context(|| format!("Failed to import {name}"))?;
        tracing::info!(file = name, items = summary.items.created, "loaded seed document");
    }
    Ok(SEED_FILES.len())
}

/// The records an import writes before its items, and what its items refer to.
struct Parents {
    /// Cities, leaders, units, documents and sections counted; items not yet.
    summary: ImportSummary,
    /// The city, leaders, units and document the file names (sections are named with their items,
    /// in the file's order).
    named: Vec<Target>,
    city: city::Model,
    leader_ids: HashMap<String, Uuid>,
    /// The file's leaders as stored, by id.
    leaders: HashMap<Uuid, leader::Model>,
    unit_ids: HashMap<String, Uuid>,
    /// The file's sections as stored, in the file's order.
    sections: Vec<section::Model>,
}

impl Parents {
    /// Whether the import created or changed any of them: then the items that embed them change.
    fn changed(&self) -> bool {
        let s = &self.summary;
        [s.cities, s.leaders, s.units, s.documents, s.sections].iter().any(|t| t.created > 0 || t.updated > 0)
    }
}

/// Writes the city, leaders, units, document and sections of `file` through `db`.
async fn apply_parents(db: &impl ConnectionTrait, file: &DocumentFile, now: chrono::DateTime<Utc>) -> Result<Parents> {
    let mut summary = ImportSummary::default();
    let mut named: Vec<Target> = Vec::new();

    let (city, outcome) = upsert_city(db, file, now).await?;
    summary.cities.count(outcome);
    summary.city_id = city.id;
    named.push((collection::CITIES, city.id));

    let mut leader_ids = HashMap::new();
    let mut leaders = HashMap::new();
    for leader_in in &file.leaders {
        let (leader, outcome) = upsert_leader(db, city.id, &leader_in.name, leader_in.title.clone(), now).await?;
        summary.leaders.count(outcome);
        leader_ids.insert(leader_in.name.clone(), leader.id);
        named.push((collection::LEADERS, leader.id));
        leaders.insert(leader.id, leader);
    }
    let unit_ids = ensure_units(db, city.id, file, now, &mut summary.units).await?;
    let mut unit_targets: Vec<Target> = unit_ids.values().map(|id| (collection::UNITS, *id)).collect();
    // Units by id: v7 ids are in creation order, which is stable where names in a map are not.
    unit_targets.sort();
    named.extend(unit_targets);

    let (document, outcome) = upsert_document(db, city.id, file, now).await?;
    summary.documents.count(outcome);
    summary.document_id = document.id;
    named.push((collection::DOCUMENTS, document.id));

    let mut sections = Vec::with_capacity(file.sections.len());
    for section_in in &file.sections {
        let (section, outcome) = upsert_section(db, document.id, section_in, now).await?;
        summary.sections.count(outcome);
        sections.push(section);
    }
    Ok(Parents { summary, named, city, leader_ids, leaders, unit_ids, sections })
}

/// What an import does to its document's items, worked out before any of them is written.
struct ItemPlan {
    /// The sections and the existing items the file names, in the file's order.
    named: Vec<Target>,
    new_items: Vec<item::Model>,
    new_units: Vec<item_unit::Model>,
    updates: Vec<ItemUpdate>,
    tally: ImportTally,
    items_left: u32,
}

/// An existing item as the file wants it.
struct ItemUpdate {
    target: Target,
    /// The fields that differ set (the search text included), `updated_at` too when the item
    /// changes as the API shows it.
    active: item::ActiveModel,
    /// Its unit rows, when they differ.
    units: Option<Vec<item_unit::Model>>,
    /// Whether the API shows it differently afterwards.
    shown_changed: bool,
}

impl ItemPlan {
    /// The existing items whose representation the import changes.
    fn changing(&self) -> Vec<Target> {
        self.updates.iter().filter(|update| update.shown_changed).map(|update| update.target).collect()
    }

    /// Writes the plan in the transaction `db`; returns the items it creates as the API shows
    /// them once written, not read back (all of them on a first import), and the merge of their
    /// search entries, running on another connection of `pool`. The items are shown, and the
    /// statements that create them built, on another thread while the database runs the
    /// statements before.
    async fn write(
        &mut self,
        db: &impl ConnectionTrait,
        pool: &DatabaseConnection,
        embedded: snapshot::Embedded,
    ) -> Result<(Snapshots, search::Merge)> {
        // Leaders and due dates count in report trends; new items have no reports yet.
        let counted = self.updates.iter().filter(|u| u.active.leader_id.is_set() || u.active.due_on.is_set());
        let tallied = trend_tallies::Items::Ids(counted.map(|u| u.target.1).collect()).retract(db).await?;
        for update in &self.updates {
            if update.active.is_changed() {
                update.active.clone().update(db).await?;
            }
            if let Some(units) = &update.units {
                item_unit::Entity::delete_many().filter(item_unit::Column::ItemId.eq(update.target.1)).exec(db).await?;
                item_unit::Entity::insert_many(units.iter().cloned().map(IntoActiveModel::into_active_model))
                    .exec_without_returning(db)
                    .await?;
            }
        }
        let (items, units) = (std::mem::take(&mut self.new_items), std::mem::take(&mut self.new_units));
        let backend = db.get_database_backend();
        let entries = search::BulkEntries::begin(db, items.len()).await?;
        let items = overlap::run_while_built(db, move |out| {
            // Large statements: few round trips (`send_inserts` keeps them within the parameters).
            send_inserts::<item::ActiveModel>(out, backend, &items, 1_000)?;
            Ok(items)
        })
        .await?;
        let merge = entries.written(db, pool).await?;
        let created = overlap::run_while_built(db, move |out| {
            send_inserts::<item_unit::ActiveModel>(out, backend, &units, 5_000)?;
            snapshot::of_created(backend, &embedded, &items, &units)
        })
        .await?;
        tallied.restore(db).await?;
        Ok((created, merge))
    }
}

/// How many rows of `E` one INSERT can carry on `backend`: a row binds a parameter a column,
/// and a statement takes at most 32,766 on SQLite and 65,535 on PostgreSQL.
pub(crate) fn rows_per_insert<E: EntityTrait>(backend: DbBackend) -> usize {
    let columns = <E::Column as sea_orm::Iterable>::iter().count().max(1);
    let parameters = if backend == DbBackend::Sqlite { 32_766 } else { 65_535 };
    (parameters / columns).max(1)
}

/// Hands `out` the statements that insert `rows`, `at_most` rows each, and fewer where their
/// parameters would pass what one statement takes ([`rows_per_insert`]).
fn send_inserts<A>(
    out: &overlap::Statements,
    backend: DbBackend,
    rows: &[<A::Entity as EntityTrait>::Model],
    at_most: usize,
) -> Result<()>
where
    A: ActiveModelTrait + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A> + Clone,
{
    let per_statement = at_most.min(rows_per_insert::<A::Entity>(backend));
    for chunk in rows.chunks(per_statement) {
        let models = chunk.iter().cloned().map(IntoActiveModel::into_active_model);
        out.send(A::Entity::insert_many(models).build(backend))?;
    }
    Ok(())
}

/// Compares the file's items with the document's: which to create, which to update, and how.
async fn plan_items(
    db: &impl ConnectionTrait,
    file: &DocumentFile,
    parents: &Parents,
    now: chrono::DateTime<Utc>,
) -> Result<ItemPlan> {
    let (city_id, document_id) = (parents.summary.city_id, parents.summary.document_id);
    let existing_items: HashMap<(Uuid, i32, i32, i32), item::Model> = item::Entity::find()
        .filter(item::Column::DocumentId.eq(document_id))
        .all(db)
        .await?
        .into_iter()
        .map(|item| ((item.section_id, item.group_number, item.seq, item.sub_seq), item))
        .collect();
    let existing_units = item_unit::load_by_items(db, existing_items.values().map(|item| item.id)).await?;
    let mut plan = ItemPlan {
        named: Vec::new(),
        new_items: Vec::new(),
        new_units: Vec::new(),
        updates: Vec::new(),
        tally: ImportTally::default(),
        items_left: 0,
    };
    let mut seen_items = HashSet::new();

    for (section_in, section) in file.sections.iter().zip(&parents.sections) {
        plan.named.push((collection::SECTIONS, section.id));
        let (period_start, period_end) = parse_period(&section_in.period).unwrap_or_default();
        for group in &section_in.groups {
            for item_in in &group.items {
                let leader_id = item_in.leader.as_ref().or(group.leader.as_ref()).map(|name| parents.leader_ids[name]);
                let sub_seq = item_in.sub_seq.unwrap_or(0);
                let content = item_in.content.trim().to_owned();
                let search_text = search::tokens(
                    [content.as_str(), item_in.remarks.as_deref().unwrap_or("")]
                        .into_iter()
                        .chain(item_in.units.iter().map(|u| u.name.as_str())),
                );
                let wanted = item::Model {
                    id: Uuid::now_v7(),
                    kind: section_in.kind,
                    city_id,
                    document_id,
                    section_id: section.id,
                    section_number: section.number,
                    group_number: group.number,
                    group_heading: group.heading.clone(),
                    seq: item_in.seq,
                    sub_seq,
                    content,
                    leader_id,
                    remarks: item_in.remarks.clone(),
                    period_start,
                    period_end,
                    due_on: item::end_of_period(period_end),
                    status: item_in.status.unwrap_or(Status::NotStarted),
                    progress: item_in.progress.unwrap_or(0),
                    progress_note: item_in.progress_note.clone(),
                    search_text,
                    created_at: now,
                    updated_at: now,
                };
                match existing_items.get(&(section.id, group.number, item_in.seq, sub_seq)) {
                    None => {
                        plan.new_units.extend(item_units_of(item_in, &wanted, &parents.unit_ids));
                        plan.new_items.push(wanted);
                        plan.tally.count(Outcome::Created);
                    }
                    Some(current) => {
                        seen_items.insert(current.id);
                        let target = (collection::of_item(section_in.kind), current.id);
                        plan.named.push(target);
                        let current_units = existing_units.get(&current.id).map(Vec::as_slice).unwrap_or_default();
                        let wanted_units = item_units_of(item_in, current, &parents.unit_ids);
                        let update = item_update(target, current, &wanted, item_in, current_units, wanted_units, now);
                        plan.tally.count(if update.shown_changed { Outcome::Updated } else { Outcome::Unchanged });
                        if update.active.is_changed() || update.units.is_some() {
                            plan.updates.push(update);
                        }
                    }
                }
            }
        }
    }
    plan.items_left = existing_items.values().filter(|item| !seen_items.contains(&item.id)).count() as u32;
    Ok(plan)
}

async fn upsert_city(
    db: &impl ConnectionTrait,
    file: &DocumentFile,
    now: chrono::DateTime<Utc>,
) -> Result<(city::Model, Outcome)> {
    let city_in = &file.city;
    match city::Entity::find().filter(city::Column::Code.eq(&city_in.code)).one(db).await? {
        None => Ok((
            city::Model {
                id: Uuid::now_v7(),
                code: city_in.code.clone(),
                name: city_in.name.clone(),
                name_en: city_in.name_en.clone(),
                province: city_in.province.clone(),
                prefecture: city_in.prefecture.clone(),
                // The import format carries no cycle: an admin sets it on the city.
                reporting_cycle: None,
                created_at: now,
                updated_at: now,
            }
            .into_active_model()
            .insert(db)
            .await?,
            Outcome::Created,
        )),
        Some(current) => {
            let mut active = current.clone().into_active_model();
            active.name.set_if_not_equals(city_in.name.clone());
            active.name_en.set_if_not_equals(city_in.name_en.clone());
            active.province.set_if_not_equals(city_in.province.clone());
            active.prefecture.set_if_not_equals(city_in.prefecture.clone());
            save_if_changed(db, active, current, now, |a, t| a.updated_at = Set(t)).await
        }
    }
}

async fn upsert_leader(
    db: &impl ConnectionTrait,
    city_id: Uuid,
    name: &str,
    title: Option<String>,
    now: chrono::DateTime<Utc>,
) -> Result<(leader::Model, Outcome)> {
    let found = leader::Entity::find()
        .filter(leader::Column::CityId.eq(city_id))
        .filter(leader::Column::Name.eq(name))
        .one(db)
        .await?;
    match found {
        None => Ok((
            leader::Model {
                id: Uuid::now_v7(),
                city_id,
                name: name.to_owned(),
                title,
                created_at: now,
                updated_at: now,
            }
            .into_active_model()
            .insert(db)
            .await?,
            Outcome::Created,
        )),
        Some(current) => {
            let mut active = current.clone().into_active_model();
            if title.is_some() {
                active.title.set_if_not_equals(title);
            }
            save_if_changed(db, active, current, now, |a, t| a.updated_at = Set(t)).await
        }
    }
}

/// Finds or creates every unit the file names; returns their ids by name.
async fn ensure_units(
    db: &impl ConnectionTrait,
    city_id: Uuid,
    file: &DocumentFile,
    now: chrono::DateTime<Utc>,
    tally: &mut ImportTally,
) -> Result<HashMap<String, Uuid>> {
    let names: Vec<&str> = file
        .sections
        .iter()
        .flat_map(|s| &s.groups)
        .flat_map(|g| &g.items)
        .flat_map(|i| &i.units)
        .map(|u| u.name.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut ids: HashMap<String, Uuid> = HashMap::new();
    for chunk in names.chunks(500) {
        let found = unit::Entity::find()
            .filter(unit::Column::CityId.eq(city_id))
            .filter(unit::Column::Name.is_in(chunk.iter().copied()))
            .all(db)
            .await?;
        ids.extend(found.into_iter().map(|u| (u.name, u.id)));
    }
    let missing: Vec<unit::Model> = names
        .iter()
        .filter(|name| !ids.contains_key(**name))
        .map(|name| unit::Model {
            id: Uuid::now_v7(),
            city_id,
            name: (*name).to_owned(),
            created_at: now,
            updated_at: now,
        })
        .collect();
    tally.unchanged += ids.len() as u32;
    tally.created += missing.len() as u32;
    for chunk in missing.chunks(200) {
        unit::Entity::insert_many(chunk.iter().cloned().map(IntoActiveModel::into_active_model))
            .exec_without_returning(db)
            .await?;
    }
    ids.extend(missing.into_iter().map(|u| (u.name, u.id)));
    Ok(ids)
}

async fn upsert_document(
    db: &impl ConnectionTrait,
    city_id: Uuid,
    file: &DocumentFile,
    now: chrono::DateTime<Utc>,
) -> Result<(document::Model, Outcome)> {
    let doc = &file.document;
    let published_at = doc.published_at.map(|t| t.with_timezone(&Utc));
    let found = document::Entity::find()
        .filter(document::Column::CityId.eq(city_id))
        .filter(document::Column::DocNumber.eq(&doc.doc_number))
        .one(db)
        .await?;
    match found {
        None => Ok((
            document::Model {
                id: Uuid::now_v7(),
                city_id,
                doc_number: doc.doc_number.clone(),
                title: doc.title.clone(),
                issuer: doc.issuer.clone(),
                issued_on: doc.issued_on,
                published_at,
                recipients: doc.recipients.clone(),
                cc: doc.cc.clone(),
                disclosure: doc.disclosure.clone(),
                created_at: now,
                updated_at: now,
            }
            .into_active_model()
            .insert(db)
            .await?,
            Outcome::Created,
        )),
        Some(current) => {
            let mut active = current.clone().into_active_model();
            active.title.set_if_not_equals(doc.title.clone());
            active.issuer.set_if_not_equals(doc.issuer.clone());
            active.issued_on.set_if_not_equals(doc.issued_on);
            active.published_at.set_if_not_equals(published_at);
            active.recipients.set_if_not_equals(doc.recipients.clone());
            active.cc.set_if_not_equals(doc.cc.clone());
            active.disclosure.set_if_not_equals(doc.disclosure.clone());
            save_if_changed(db, active, current, now, |a, t| a.updated_at = Set(t)).await
        }
    }
}

async fn upsert_section(
    db: &impl ConnectionTrait,
    document_id: Uuid,
    section_in: &FileSection,
    now: chrono::DateTime<Utc>,
) -> Result<(section::Model, Outcome)> {
    let (period_start, period_end) = parse_period(&section_in.period).unwrap_or_default();
    let found = section::Entity::find()
        .filter(section::Column::DocumentId.eq(document_id))
        .filter(section::Column::Number.eq(section_in.number))
        .one(db)
        .await?;
    match found {
        None => Ok((
            section::Model {
                id: Uuid::now_v7(),
                document_id,
                number: section_in.number,
                kind: section_in.kind,
                title: section_in.title.clone(),
                period_start,
                period_end,
                created_at: now,
                updated_at: now,
            }
            .into_active_model()
            .insert(db)
            .await?,
            Outcome::Created,
        )),
        Some(current) => {
            if current.kind != section_in.kind {
                return Err(ApiError::Conflict(format!(
                    "section {} of {} already lists another kind of item",
                    section_in.number, document_id
                )));
            }
            let mut active = current.clone().into_active_model();
            active.title.set_if_not_equals(section_in.title.clone());
            active.period_start.set_if_not_equals(period_start);
            active.period_end.set_if_not_equals(period_end);
            save_if_changed(db, active, current, now, |a, t| a.updated_at = Set(t)).await
        }
    }
}

/// Saves `active` with a new `updated_at` when any field was set to a new value.
async fn save_if_changed<A>(
    db: &impl ConnectionTrait,
    mut active: A,
    current: ModelOf<A>,
    now: chrono::DateTime<Utc>,
    stamp: impl FnOnce(&mut A, chrono::DateTime<Utc>),
) -> Result<(ModelOf<A>, Outcome)>
where
    A: ActiveModelTrait + sea_orm::ActiveModelBehavior + Send,
    ModelOf<A>: IntoActiveModel<A>,
{
    if !active.is_changed() {
        return Ok((current, Outcome::Unchanged));
    }
    stamp(&mut active, now);
    Ok((active.update(db).await?, Outcome::Updated))
}

type ModelOf<A> = <<A as ActiveModelTrait>::Entity as EntityTrait>::Model;

/// How an existing item changes to be as the file says. Status and progress change only when
/// the file gives them, so a re-import keeps tracked progress.
fn item_update(
    target: Target,
    current: &item::Model,
    wanted: &item::Model,
    item_in: &FileItem,
    current_units: &[item_unit::Model],
    wanted_units: Vec<item_unit::Model>,
    now: chrono::DateTime<Utc>,
) -> ItemUpdate {
    let mut active = current.clone().into_active_model();
    active.group_heading.set_if_not_equals(wanted.group_heading.clone());
    active.content.set_if_not_equals(wanted.content.clone());
    active.leader_id.set_if_not_equals(wanted.leader_id);
    active.remarks.set_if_not_equals(wanted.remarks.clone());
    active.period_start.set_if_not_equals(wanted.period_start);
    active.period_end.set_if_not_equals(wanted.period_end);
    // A due date left at its default follows the period; one set by hand stays.
    if current.due_on == item::end_of_period(current.period_end) {
        active.due_on.set_if_not_equals(wanted.due_on);
    }
    if item_in.status.is_some() {
        active.status.set_if_not_equals(wanted.status);
    }
    if item_in.progress.is_some() {
        active.progress.set_if_not_equals(wanted.progress);
    }
    if item_in.progress_note.is_some() {
        active.progress_note.set_if_not_equals(wanted.progress_note.clone());
    }
    let fields_changed = active.is_changed();
    let units = units_if_changed(current_units, wanted_units);
    // Search text follows content, remarks and units; it is not a change of its own.
    active.search_text.set_if_not_equals(wanted.search_text.clone());
    let shown_changed = fields_changed || units.is_some();
    if shown_changed {
        active.updated_at = Set(now);
    }
    ItemUpdate { target, active, units, shown_changed }
}

/// The unit rows `item` should have, as `item_in` lists them.
fn item_units_of(item_in: &FileItem, item: &item::Model, unit_ids: &HashMap<String, Uuid>) -> Vec<item_unit::Model> {
    item_in
        .units
        .iter()
        .enumerate()
        .map(|(position, unit)| {
            item_unit::Model::of(item, unit_ids[&unit.name], unit.role, unit.note.clone(), position as i32)
        })
        .collect()
}

/// An item's unit rows as `wanted` when they differ from `current`.
fn units_if_changed(current: &[item_unit::Model], wanted: Vec<item_unit::Model>) -> Option<Vec<item_unit::Model>> {
    let wanted: BTreeMap<Uuid, item_unit::Model> = wanted.into_iter().map(|row| (row.unit_id, row)).collect();
    let current: BTreeMap<Uuid, &item_unit::Model> = current.iter().map(|row| (row.unit_id, row)).collect();
    let same =
        current.len() == wanted.len() && wanted.iter().all(|(id, row)| current.get(id).is_some_and(|c| *c == row));
    (!same).then(|| wanted.into_values().collect())
}
