//! Writing key work items and livelihood projects: one implementation for both kinds, behind the
//! two [`Resource`]s.

use entity::{
    document, item,
    item::{ItemKind, Status},
    item_unit,
    item_unit::UnitRole,
    leader, milestone, section, unit,
};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{Set, Unchanged},
    ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
};
use serde_json::Value;
use uuid::Uuid;

use crate::{
    domain::{
        collection,
        dependents::{self, Target},
        filter::id_or_name,
        items::read::{ItemRecord, get, load_records},
        journal::{Action, Change},
        reports,
        resource::{Resource, WriteContext, snapshot},
        search, trend_tallies,
    },
    error::{ApiError, FieldError, Result},
    views::{
        items::{
            ItemPatch, LivelihoodProjectIn, LivelihoodProjectOut, MilestoneIn, UnitAssignmentIn, WorkItemIn,
            WorkItemOut,
        },
        values::{IdOrName, NonBlank},
    },
};

/// An item as a write describes it, whichever its kind.
#[derive(Debug, Clone)]
pub struct ItemDraft {
    pub section: Uuid,
    pub group_number: i32,
    pub group_heading: Option<String>,
    pub seq: i32,
    /// 0 when the item is not split.
    pub sub_seq: i32,
    pub content: String,
    pub leader: Option<String>,
    pub units: Vec<UnitAssignmentIn>,
    pub remarks: Option<String>,
    pub due_on: Option<chrono::NaiveDate>,
    /// `None`: none on creation, the current ones kept on PUT.
    pub milestones: Option<Vec<MilestoneIn>>,
    pub status: Option<Status>,
    pub progress: Option<i32>,
    pub progress_note: Option<String>,
}

impl From<WorkItemIn> for ItemDraft {
    fn from(input: WorkItemIn) -> Self {
        Self {
            section: input.section,
            group_number: input.group.number,
            group_heading: input.group.heading.map(NonBlank::into_inner),
            seq: input.seq,
            sub_seq: 0,
            content: input.content.into_inner(),
            leader: input.leader,
            units: input.units,
            remarks: input.remarks,
            due_on: input.due_on,
            milestones: input.milestones,
            status: input.status,
            progress: input.progress,
            progress_note: input.progress_note,
        }
    }
}

impl From<LivelihoodProjectIn> for ItemDraft {
    fn from(input: LivelihoodProjectIn) -> Self {
        let (group_number, group_heading) = input.category.map_or((1, None), |c| (c.number, Some(c.name.into_inner())));
        Self {
            section: input.section,
            group_number,
            group_heading,
            seq: input.seq,
            sub_seq: input.sub_seq.unwrap_or(0),
            content: input.content.into_inner(),
            leader: input.leader,
            units: input.units,
            remarks: input.remarks,
            due_on: input.due_on,
            milestones: input.milestones,
            status: input.status,
            progress: input.progress,
            progress_note: input.progress_note,
        }
    }
}

/// Where a new item goes: its section, checked for kind, and the city that owns it.
struct Placement {
    section: section::Model,
    city_id: Uuid,
}

async fn placement(db: &impl ConnectionTrait, kind: ItemKind, section_id: Uuid) -> Result<Placement> {
    let invalid =
        |message: &str| ApiError::invalid(format!("section: {message}"), vec![FieldError::new("section", message)]);
    let section = section::Entity::find_by_id(section_id).one(db).await?.ok_or_else(|| invalid("names no section"))?;
    if section.kind != kind {
        return Err(invalid(match kind {
            ItemKind::WorkItem => "lists livelihood projects, not work items",
            ItemKind::LivelihoodProject => "lists work items, not livelihood projects",
        }));
    }
    let document = document::Entity::find_by_id(section.document_id)
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("section {section_id} has no document"))?;
    Ok(Placement { section, city_id: document.city_id })
}

/// The city a draft's section belongs to.
pub async fn city_of_draft(db: &impl ConnectionTrait, kind: ItemKind, section_id: Uuid) -> Result<Uuid> {
    Ok(placement(db, kind, section_id).await?.city_id)
}

async fn resolve_leader(db: &impl ConnectionTrait, city_id: Uuid, leader: Option<&str>) -> Result<Option<Uuid>> {
    let Some(value) = leader else { return Ok(None) };
    let found = leader::Entity::find()
        .filter(leader::Column::CityId.eq(city_id))
        .filter(id_or_name(&IdOrName::parse(value), leader::Column::Id, leader::Column::Name))
        .one(db)
        .await?;
    found.map(|l| Some(l.id)).ok_or_else(|| {
        ApiError::invalid(
            "leader: names no leader of the item's city",
            vec![FieldError::new("leader", "names no leader of the item's city")],
        )
    })
}

/// A unit an item names, resolved: its row waits for the item ([`replace_units`]).
struct UnitAssignment {
    unit_id: Uuid,
    role: UnitRole,
    note: Option<String>,
}

/// The units of city `city_id` that `units` name, in their order.
async fn resolve_units(
    db: &impl ConnectionTrait,
    city_id: Uuid,
    units: &[UnitAssignmentIn],
) -> Result<Vec<UnitAssignment>> {
    let mut resolved: Vec<UnitAssignment> = Vec::with_capacity(units.len());
    let mut errors = Vec::new();
    for (position, assignment) in units.iter().enumerate() {
        let field = format!("units[{position}].unit");
        let found = unit::Entity::find()
            .filter(unit::Column::CityId.eq(city_id))
            .filter(id_or_name(&IdOrName::parse(assignment.unit.trim()), unit::Column::Id, unit::Column::Name))
            .one(db)
            .await?;
        match found {
            None => errors.push(FieldError::new(field, "names no unit of the item's city")),
            Some(unit) if resolved.iter().any(|row| row.unit_id == unit.id) => {
                errors.push(FieldError::new(field, "is listed twice"));
            }
            Some(unit) => {
                resolved.push(UnitAssignment { unit_id: unit.id, role: assignment.role, note: assignment.note.clone() })
            }
        }
    }
    if let Some(first) = errors.first() {
        return Err(ApiError::invalid(format!("{}: {}", first.field, first.message), errors));
    }
    Ok(resolved)
}

/// 409 when another livelihood project of the section has the same (seq, sub_seq): they are
/// numbered across the section, which the unique index (per group) does not cover.
async fn check_livelihood_key(db: &impl ConnectionTrait, kind: ItemKind, draft: &ItemDraft, id: Uuid) -> Result<()> {
    if kind != ItemKind::LivelihoodProject {
        return Ok(());
    }
    let clash = item::Entity::find()
        .filter(item::Column::SectionId.eq(draft.section))
        .filter(item::Column::Seq.eq(draft.seq))
        .filter(item::Column::SubSeq.eq(draft.sub_seq))
        .filter(item::Column::Id.ne(id))
        .one(db)
        .await?;
    match clash {
        Some(other) => Err(ApiError::Conflict(format!(
            "livelihood project {} of this section already has seq {} and sub_seq {}",
            other.id, draft.seq, draft.sub_seq
        ))),
        None => Ok(()),
    }
}

/// Replaces `item`'s unit rows with `units`, in their order; the rows copy the item's place, so
/// `item` is as written.
async fn replace_units(db: &impl ConnectionTrait, item: &item::Model, units: Vec<UnitAssignment>) -> Result<()> {
    item_unit::Entity::delete_many().filter(item_unit::Column::ItemId.eq(item.id)).exec(db).await?;
    let rows = units.into_iter().enumerate().map(|(position, unit)| {
        item_unit::Model::of(item, unit.unit_id, unit.role, unit.note, position as i32).into_active_model()
    });
    item_unit::Entity::insert_many(rows).exec_without_returning(db).await?;
    Ok(())
}

/// Replaces item `item_id`'s milestones with `milestones`, in their order.
async fn replace_milestones(db: &impl ConnectionTrait, item_id: Uuid, milestones: Vec<MilestoneIn>) -> Result<()> {
    milestone::Entity::delete_many().filter(milestone::Column::ItemId.eq(item_id)).exec(db).await?;
    let rows = milestones.into_iter().enumerate().map(|(position, m)| {
        milestone::Model {
            id: Uuid::now_v7(),
            item_id,
            position: position as i32,
            title: m.title.trimmed().to_owned(),
            due_on: m.due_on,
            done_on: m.done_on,
        }
        .into_active_model()
    });
    milestone::Entity::insert_many(rows).exec_without_returning(db).await?;
    Ok(())
}

/// Inserts a new item of `kind`.
pub async fn insert(db: &impl ConnectionTrait, kind: ItemKind, draft: ItemDraft, ctx: &WriteContext) -> Result<Uuid> {
    let Placement { section, city_id } = placement(db, kind, draft.section).await?;
    let id = Uuid::now_v7();
    let leader_id = resolve_leader(db, city_id, draft.leader.as_deref()).await?;
    let units = resolve_units(db, city_id, &draft.units).await?;
    check_livelihood_key(db, kind, &draft, id).await?;
    let item = item::Model {
        id,
        kind,
        city_id,
        document_id: section.document_id,
        section_id: section.id,
        section_number: section.number,
        group_number: draft.group_number,
        group_heading: draft.group_heading,
        seq: draft.seq,
        sub_seq: draft.sub_seq,
        content: draft.content.trim().to_owned(),
        leader_id,
        remarks: draft.remarks,
        period_start: section.period_start,
        period_end: section.period_end,
        due_on: draft.due_on.unwrap_or_else(|| item::end_of_period(section.period_end)),
        status: draft.status.unwrap_or(Status::NotStarted),
        progress: draft.progress.unwrap_or(0),
        progress_note: draft.progress_note,
        search_text: String::new(),
        created_at: ctx.now,
        updated_at: ctx.now,
    }
    .into_active_model()
    .insert(db)
    .await?;
    replace_units(db, &item, units).await?;
    replace_milestones(db, id, draft.milestones.unwrap_or_default()).await?;
    search::refresh(db, &[id]).await?;
    Ok(id)
}

/// Replaces every writable field of item `id`; status and progress stay when the draft omits
/// them.
pub async fn replace(
    db: &impl ConnectionTrait,
    kind: ItemKind,
    id: Uuid,
    current_section: Uuid,
    draft: ItemDraft,
    ctx: &WriteContext,
) -> Result<()> {
    if draft.section != current_section {
        return Err(ApiError::invalid("section: cannot change", vec![FieldError::new("section", "cannot change")]));
    }
    let Placement { city_id, .. } = placement(db, kind, draft.section).await?;
    let leader_id = resolve_leader(db, city_id, draft.leader.as_deref()).await?;
    let units = resolve_units(db, city_id, &draft.units).await?;
    check_livelihood_key(db, kind, &draft, id).await?;
    let mut active = item::ActiveModel {
        id: Unchanged(id),
        group_number: Set(draft.group_number),
        group_heading: Set(draft.group_heading),
        seq: Set(draft.seq),
        sub_seq: Set(draft.sub_seq),
        content: Set(draft.content.trim().to_owned()),
        leader_id: Set(leader_id),
        remarks: Set(draft.remarks),
        progress_note: Set(draft.progress_note),
        updated_at: Set(ctx.now),
        ..Default::default()
    };
    if let Some(due_on) = draft.due_on {
        active.due_on = Set(due_on);
    }
    if let Some(status) = draft.status {
        active.status = Set(status);
    }
    if let Some(progress) = draft.progress {
        active.progress = Set(progress);
    }
    let item = active.update(db).await?;
    replace_units(db, &item, units).await?;
    if let Some(milestones) = draft.milestones {
        replace_milestones(db, id, milestones).await?;
    }
    search::refresh(db, &[id]).await
}

/// Changes the fields `patch` names on item `id` of city `city_id`.
pub async fn patch(
    db: &impl ConnectionTrait,
    id: Uuid,
    city_id: Uuid,
    patch: ItemPatch,
    ctx: &WriteContext,
) -> Result<()> {
    let mut active = item::ActiveModel { id: Unchanged(id), updated_at: Set(ctx.now), ..Default::default() };
    if let Some(content) = patch.content {
        active.content = Set(content.trim().to_owned());
    }
    if let Some(leader) = patch.leader {
        active.leader_id = Set(resolve_leader(db, city_id, leader.as_deref()).await?);
    }
    if let Some(remarks) = patch.remarks {
        active.remarks = Set(remarks);
    }
    if let Some(due_on) = patch.due_on {
        active.due_on = Set(due_on);
    }
    if let Some(status) = patch.status {
        active.status = Set(status);
    }
    if let Some(progress) = patch.progress {
        active.progress = Set(progress);
    }
    if let Some(note) = patch.progress_note {
        active.progress_note = Set(note);
    }
    let units = match patch.units {
        Some(units) => Some(resolve_units(db, city_id, &units).await?),
        None => None,
    };
    let item = active.update(db).await?;
    if let Some(units) = units {
        replace_units(db, &item, units).await?;
    }
    if let Some(milestones) = patch.milestones {
        replace_milestones(db, id, milestones).await?;
    }
    search::refresh(db, &[id]).await
}

/// The items with `ids` as the API shows them: (collection, id, city, JSON), ordered by id.
pub async fn item_snapshots(
    db: &impl ConnectionTrait,
    mut ids: Vec<Uuid>,
) -> Result<Vec<(&'static str, Uuid, Uuid, Value)>> {
    ids.sort();
    let records = load_records(db, ids).await?;
    records.into_iter().map(item_snapshot).collect()
}

/// An item as the API shows it: (collection, id, city, JSON).
pub fn item_snapshot(record: ItemRecord) -> Result<(&'static str, Uuid, Uuid, Value)> {
    let (id, city) = (record.item.id, record.item.city_id);
    match record.item.kind {
        ItemKind::WorkItem => Ok((WorkItems::COLLECTION, id, city, snapshot(&WorkItemOut::from(record))?)),
        ItemKind::LivelihoodProject => {
            Ok((LivelihoodProjects::COLLECTION, id, city, snapshot(&LivelihoodProjectOut::from(record))?))
        }
    }
}

/// Deletion records for the items with `ids` and for their progress reports, which go with them.
pub async fn item_tombstones(db: &impl ConnectionTrait, ids: Vec<Uuid>) -> Result<Vec<Change>> {
    let mut changes = reports::tombstones_of_items(db, &ids).await?;
    changes.extend(item_snapshots(db, ids).await?.into_iter().map(|(collection, id, city, before)| Change {
        resource_type: collection,
        resource_id: id,
        city_id: Some(city),
        action: Action::Delete,
        before: Some(before),
        after: None,
    }));
    Ok(changes)
}

/// Defines a [`Resource`] for one kind of item.
macro_rules! item_resource {
    ($name:ident, $kind:expr, $collection:expr, $out:ty, $input:ty) => {
        #[doc = concat!("One kind of item, `", stringify!($kind), "`, as a writable resource.")]
        pub struct $name;

        impl Resource for $name {
            const COLLECTION: &'static str = $collection;
            const TABLE: &'static str = "items";
            type Out = $out;
            type In = $input;
            type Patch = ItemPatch;

            async fn load(db: &impl ConnectionTrait, id: Uuid) -> Result<$out> {
                Ok(get(db, $kind, id).await?.into())
            }

            fn city_of(out: &$out) -> Option<Uuid> {
                Some(out.item.city.id)
            }

            async fn city_of_input(db: &impl ConnectionTrait, input: &$input) -> Result<Option<Uuid>> {
                Ok(Some(city_of_draft(db, $kind, input.section).await?))
            }

            async fn insert(db: &impl ConnectionTrait, input: $input, ctx: &WriteContext) -> Result<Uuid> {
                insert(db, $kind, input.into(), ctx).await
            }

            async fn replace(
                db: &impl ConnectionTrait,
                current: &$out,
                input: $input,
                ctx: &WriteContext,
            ) -> Result<Vec<Change>> {
                // The leader and the due date count in report trends.
                let tallied = trend_tallies::Items::One(current.item.id).retract(db).await?;
                replace(db, $kind, current.item.id, current.item.section.id, input.into(), ctx).await?;
                tallied.restore(db).await?;
                Ok(Vec::new())
            }

            async fn patch(
                db: &impl ConnectionTrait,
                current: &$out,
                input: ItemPatch,
                ctx: &WriteContext,
            ) -> Result<Vec<Change>> {
                // The leader and the due date count in report trends; the rest does not.
                let counted =
                    if input.leader.is_some() || input.due_on.is_some() { vec![current.item.id] } else { vec![] };
                let tallied = trend_tallies::Items::Ids(counted).retract(db).await?;
                patch(db, current.item.id, current.item.city.id, input, ctx).await?;
                tallied.restore(db).await?;
                Ok(Vec::new())
            }

            async fn dependents(db: &impl ConnectionTrait, current: &$out) -> Result<Vec<Target>> {
                dependents::of_item_section(db, current.item.section.id).await
            }

            async fn dependents_of_input(db: &impl ConnectionTrait, input: &$input) -> Result<Vec<Target>> {
                dependents::of_item_section(db, input.section).await
            }

            async fn delete(
                db: &impl ConnectionTrait,
                current: &$out,
                cascade: bool,
                _: &WriteContext,
            ) -> Result<Vec<Change>> {
                let reports = reports::tombstones_of_items(db, &[current.item.id]).await?;
                if !cascade && !reports.is_empty() {
                    return Err(ApiError::Conflict(format!(
                        "the item has {} progress report(s); pass cascade=true to delete them with it",
                        reports.len()
                    )));
                }
                // Its unit rows and reports go with it (ON DELETE CASCADE).
                let tallied = trend_tallies::Items::One(current.item.id).retract(db).await?;
                item::Entity::delete_by_id(current.item.id).exec(db).await?;
                tallied.restore(db).await?;
                Ok(reports)
            }
        }
    };
}

item_resource!(WorkItems, ItemKind::WorkItem, collection::WORK_ITEMS, WorkItemOut, WorkItemIn);
item_resource!(
    LivelihoodProjects,
    ItemKind::LivelihoodProject,
    collection::LIVELIHOOD_PROJECTS,
    LivelihoodProjectOut,
    LivelihoodProjectIn
);
