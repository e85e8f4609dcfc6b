//! Synthetic data at national scale, for benchmarks: cities × yearly documents × work items and
//! livelihood projects, with leaders, units (3–6 per item, with roles), statuses, progress and
//! search text, deterministic from a seed. The texts are the seed documents' own (content,
//! remarks, unit and leader names), so search and statistics behave as on real data.
//!
//! Rows are written in large multi-row statements inside one transaction per document; on
//! PostgreSQL the search index is dropped for the load and built once at the end, which is far
//! cheaper than maintaining it row by row.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use entity::{
    city, document, item,
    item::{ItemKind, Status},
    item_unit,
    item_unit::UnitRole,
    leader, progress_report, revision, section, unit,
};
use migration::m20260101_000005_add_item_search::{SEARCH_INDEX, SEARCH_VECTOR};
use rand::{Rng, SeedableRng, seq::IndexedRandom};
use rand_chacha::ChaCha8Rng;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, IntoActiveModel, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    domain::{
        collection,
        import::{SEED_FILES, rows_per_insert},
        search, trend_tallies,
    },
    error::Result,
    views::import::DocumentFile,
};

/// How much to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scale {
    pub cities: usize,
    /// Key work items over all cities.
    pub work_items: usize,
    /// Livelihood projects over all cities.
    pub livelihood_projects: usize,
    pub units_per_city: usize,
    /// Documents (one a year) per city.
    pub years: usize,
    pub seed: u64,
}

impl Default for Scale {
    /// The design's benchmark set: 1M work items over 20 cities, 200 units per city.
    fn default() -> Self {
        Self {
            cities: 20,
            work_items: 1_000_000,
            livelihood_projects: 100_000,
            units_per_city: 200,
            years: 10,
            seed: 42,
        }
    }
}

/// What was written.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Generated {
    pub cities: usize,
    pub documents: usize,
    pub items: usize,
    pub item_units: usize,
    pub reports: usize,
}

/// Texts taken from the seed documents.
struct Corpus {
    contents: Vec<String>,
    remarks: Vec<String>,
    units: Vec<String>,
    leaders: Vec<(String, Option<String>)>,
}

impl Corpus {
    fn from_seeds() -> Result<Self> {
        let mut contents = Vec::new();
        let mut remarks = BTreeSet::new();
        let mut units = BTreeSet::new();
        let mut leaders = Vec::new();
        for (_, json) in SEED_FILES {
            let file = DocumentFile::from_json(json.as_bytes())?;
            for leader in file.leaders {
                if !leaders.iter().any(|(name, _)| *name == leader.name) {
                    leaders.push((leader.name, leader.title));
                }
            }
            for item in file.sections.iter().flat_map(|s| &s.groups).flat_map(|g| &g.items) {
                contents.push(item.content.clone());
                remarks.extend(item.remarks.clone());
                units.extend(item.units.iter().map(|u| u.name.clone()));
            }
        }
        Ok(Self { contents, remarks: remarks.into_iter().collect(), units: units.into_iter().collect(), leaders })
    }

    /// `count` unit names for one city: 市发改局 (which the benchmark filters on), the seeds' other
    /// units, then numbered offices.
    fn unit_names(&self, count: usize) -> Vec<String> {
        const FILTERED_ON: &str = "市发改局";
        let others = self.units.iter().filter(|name| *name != FILTERED_ON).cloned();
        let mut names: Vec<String> = std::iter::once(FILTERED_ON.to_owned()).chain(others).take(count).collect();
        let mut n = 1;
        while names.len() < count {
            names.push(format!("市第{n}办公室"));
            n += 1;
        }
        names
    }
}

/// A UUIDv7 for a record created at `time`, its random bits from `rng`: the same seed gives the
/// same ids.
fn id_at(rng: &mut ChaCha8Rng, time: DateTime<Utc>) -> Uuid {
    let random: [u8; 10] = rng.random();
    uuid::Builder::from_unix_timestamp_millis(time.timestamp_millis().max(0) as u64, &random).into_uuid()
}

const STATUSES: [Status; 5] =
    [Status::NotStarted, Status::InProgress, Status::InProgress, Status::Completed, Status::Delayed];

fn at(date: NaiveDate, rng: &mut ChaCha8Rng) -> DateTime<Utc> {
    let midnight = Utc.from_utc_datetime(&date.and_time(chrono::NaiveTime::MIN));
    midnight + Duration::seconds(rng.random_range(0..86_400 * 300))
}

/// Writes `scale` into an empty, migrated database; returns what it wrote.
pub async fn generate(db: &DatabaseConnection, scale: Scale) -> Result<Generated> {
    let corpus = Corpus::from_seeds()?;
    let mut rng = ChaCha8Rng::seed_from_u64(scale.seed);
    let postgres = db.get_database_backend() == DbBackend::Postgres;
    if postgres {
        db.execute_unprepared(&format!("DROP INDEX IF EXISTS {SEARCH_INDEX}")).await?;
    }
    let mut done = Generated::default();
    let documents = scale.cities * scale.years;
    let mut seq = 0;
    for c in 0..scale.cities {
        let txn = db.begin().await?;
        let now = Utc.with_ymd_and_hms(2016, 1, 1, 0, 0, 0).single().unwrap_or_default();
        let city = city::Model {
            id: id_at(&mut rng, now),
            code: format!("{:06}", 900_000 + c),
            name: format!("基准{}市", c + 1),
            name_en: format!("Bench {}", c + 1),
            province: "浙江省".to_owned(),
            prefecture: "基准地区".to_owned(),
            // Units report quarterly, as the generated reports do.
            reporting_cycle: Some(city::ReportingCycle::Quarterly),
            created_at: now,
            updated_at: now,
        };
        city.clone().into_active_model().insert(&txn).await?;
        let leaders: Vec<leader::Model> = corpus
            .leaders
            .iter()
            .take(8)
            .map(|(name, title)| leader::Model {
                id: id_at(&mut rng, now),
                city_id: city.id,
                name: name.clone(),
                title: title.clone(),
                created_at: now,
                updated_at: now,
            })
            .collect();
        insert_all(&txn, leaders.clone()).await?;
        let units: Vec<unit::Model> = corpus
            .unit_names(scale.units_per_city)
            .into_iter()
            .map(|name| unit::Model {
                id: id_at(&mut rng, now),
                city_id: city.id,
                name,
                created_at: now,
                updated_at: now,
            })
            .collect();
        insert_all(&txn, units.clone()).await?;
        txn.commit().await?;
        done.cities += 1;

        for y in 0..scale.years {
            let d = c * scale.years + y;
            let share = |total: usize| total / documents + usize::from(d < total % documents);
            let year = 2016 + y as i32;
            let txn = db.begin().await?;
            let issued = NaiveDate::from_ymd_opt(year, 3, 1).unwrap_or_default();
            let created = at(issued, &mut rng);
            let document = document::Model {
                id: id_at(&mut rng, created),
                city_id: city.id,
                doc_number: format!("基政办发〔{year}〕{}号", d + 1),
                title: format!("关于印发{year}年市政府重点工作和民生实事项目责任分解的通知"),
                issuer: format!("{}人民政府办公室", city.name),
                issued_on: issued,
                published_at: None,
                recipients: Some("各乡镇人民政府、街道办事处，市各有关单位".to_owned()),
                cc: None,
                disclosure: Some("此件公开发布".to_owned()),
                created_at: created,
                updated_at: created,
            };
            document.clone().into_active_model().insert(&txn).await?;
            for (number, kind, count) in [
                (1, ItemKind::WorkItem, share(scale.work_items)),
                (2, ItemKind::LivelihoodProject, share(scale.livelihood_projects)),
            ] {
                let section = section::Model {
                    id: id_at(&mut rng, created),
                    document_id: document.id,
                    number,
                    kind,
                    title: match kind {
                        ItemKind::WorkItem => format!("{year}年政府工作报告重点工作责任分解"),
                        ItemKind::LivelihoodProject => format!("{year}年民生实事项目任务分解"),
                    },
                    period_start: year,
                    period_end: year,
                    created_at: created,
                    updated_at: created,
                };
                section.clone().into_active_model().insert(&txn).await?;
                let (items, item_units) =
                    items_of(&corpus, &mut rng, &city, &document, &section, &leaders, &units, count);
                let reports = reports_of(&mut rng, &items, &item_units);
                done.items += items.len();
                done.item_units += item_units.len();
                done.reports += reports.len();
                insert_all(&txn, items).await?;
                insert_all(&txn, item_units).await?;
                insert_all(&txn, reports).await?;
            }
            seq += 1;
            // One revision a document, so that the change feed and the validators have a head.
            revision::Model {
                id: id_at(&mut rng, created),
                seq,
                resource_type: collection::DOCUMENTS.to_owned(),
                resource_id: document.id,
                action: "create".to_owned(),
                actor_id: None,
                actor_name: "generator".to_owned(),
                changes: json!({}),
                snapshot: Some(json!({"id": document.id, "doc_number": document.doc_number})),
                city_id: Some(city.id),
                created_at: created,
            }
            .into_active_model()
            .insert(&txn)
            .await?;
            txn.commit().await?;
            done.documents += 1;
        }
    }
    if postgres {
        db.execute_unprepared(&format!("CREATE INDEX {SEARCH_INDEX} ON items USING GIN (({SEARCH_VECTOR}))")).await?;
    }
    // Counted once at the end, set-based, rather than item by item as the writes do.
    trend_tallies::rebuild(db).await?;
    // On PostgreSQL also VACUUM: it sets the visibility map, without which the statistics'
    // index-only scans would still visit every heap page until autovacuum came by.
    db.execute_unprepared(if postgres { "VACUUM ANALYZE" } else { "ANALYZE" }).await?;
    Ok(done)
}

/// An import file of one document with `items` work items in eight leader groups, from the seed
/// texts: the input of the import benchmark.
pub fn document_file(items: usize, seed: u64) -> Result<DocumentFile> {
    use crate::views::import::{FileCity, FileDocument, FileGroup, FileItem, FileLeader, FileSection, FileUnit};
    let corpus = Corpus::from_seeds()?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let leaders: Vec<&(String, Option<String>)> = corpus.leaders.iter().take(8).collect();
    let units = corpus.unit_names(200);
    let mut groups: Vec<FileGroup> = leaders
        .iter()
        .enumerate()
        .map(|(g, (name, title))| FileGroup {
            number: g as i32 + 1,
            heading: Some(format!("{name}{}牵头重点工作", title.as_deref().unwrap_or(""))),
            leader: Some(name.clone()),
            items: Vec::new(),
        })
        .collect();
    for n in 0..items {
        let how_many = rng.random_range(3..=6);
        let chosen: Vec<&String> = units.choose_multiple(&mut rng, how_many).collect();
        let item = FileItem {
            seq: (n / groups.len()) as i32 + 1,
            sub_seq: None,
            content: corpus.contents.choose(&mut rng).cloned().unwrap_or_default(),
            leader: None,
            units: chosen
                .iter()
                .enumerate()
                .map(|(i, name)| FileUnit {
                    name: (*name).clone(),
                    role: if i == 0 { UnitRole::Lead } else { UnitRole::Responsible },
                    note: None,
                })
                .collect(),
            remarks: rng.random_bool(0.2).then(|| corpus.remarks.choose(&mut rng).cloned()).flatten(),
            status: None,
            progress: None,
            progress_note: None,
        };
        let group = n % groups.len();
        if let Some(group) = groups.get_mut(group) {
            group.items.push(item);
        }
    }
    Ok(DocumentFile {
        format: crate::views::import::FORMAT.to_owned(),
        city: FileCity {
            code: "990001".to_owned(),
            name: "导入基准市".to_owned(),
            name_en: "Import Bench".to_owned(),
            province: "浙江省".to_owned(),
            prefecture: "基准地区".to_owned(),
        },
        document: FileDocument {
            doc_number: "基政办发〔2025〕1号".to_owned(),
            title: "关于印发2025年市政府重点工作责任分解的通知".to_owned(),
            issuer: "导入基准市人民政府办公室".to_owned(),
            issued_on: NaiveDate::from_ymd_opt(2025, 3, 1).unwrap_or_default(),
            published_at: None,
            recipients: None,
            cc: None,
            disclosure: None,
        },
        leaders: leaders.iter().map(|(name, title)| FileLeader { name: name.clone(), title: title.clone() }).collect(),
        sections: vec![FileSection {
            number: 1,
            kind: ItemKind::WorkItem,
            title: "2025年政府工作报告重点工作责任分解".to_owned(),
            period: "2025".to_owned(),
            groups,
        }],
    })
}

/// `count` items of one section with their unit rows.
#[expect(clippy::too_many_arguments, reason = "one call site; the parts of a section's context")]
fn items_of(
    corpus: &Corpus,
    rng: &mut ChaCha8Rng,
    city: &city::Model,
    document: &document::Model,
    section: &section::Model,
    leaders: &[leader::Model],
    units: &[unit::Model],
    count: usize,
) -> (Vec<item::Model>, Vec<item_unit::Model>) {
    let groups = leaders.len().max(1);
    let mut items = Vec::with_capacity(count);
    let mut rows = Vec::with_capacity(count * 5);
    for n in 0..count {
        let id = id_at(rng, document.created_at);
        let group = n % groups;
        let content = corpus.contents.choose(rng).cloned().unwrap_or_default();
        let remarks = rng.random_bool(0.2).then(|| corpus.remarks.choose(rng).cloned()).flatten();
        let status = *STATUSES.choose(rng).unwrap_or(&Status::NotStarted);
        let progress = match status {
            Status::NotStarted => 0,
            Status::Completed => 100,
            _ => rng.random_range(1..100),
        };
        let how_many = rng.random_range(3..=6);
        let chosen: Vec<&unit::Model> = units.choose_multiple(rng, how_many).collect();
        let texts = [content.as_str(), remarks.as_deref().unwrap_or("")]
            .into_iter()
            .chain(chosen.iter().map(|u| u.name.as_str()));
        let search_text = search::tokens(texts);
        let changed = at(document.issued_on, rng);
        let (group_number, group_heading, leader_id, seq) = match section.kind {
            ItemKind::WorkItem => (
                group as i32 + 1,
                leaders.get(group).map(|l| format!("{}{}牵头重点工作", l.name, l.title.as_deref().unwrap_or(""))),
                leaders.get(group).map(|l| l.id),
                (n / groups) as i32 + 1,
            ),
            ItemKind::LivelihoodProject => (1, None, None, n as i32 + 1),
        };
        items.push(item::Model {
            id,
            kind: section.kind,
            city_id: city.id,
            document_id: document.id,
            section_id: section.id,
            section_number: section.number,
            group_number,
            group_heading,
            seq,
            sub_seq: 0,
            content,
            leader_id,
            remarks,
            period_start: section.period_start,
            period_end: section.period_end,
            due_on: item::end_of_period(section.period_end),
            status,
            progress,
            progress_note: None,
            search_text,
            created_at: document.created_at,
            updated_at: changed,
        });
        let item = &items[items.len() - 1];
        for (position, unit) in chosen.iter().enumerate() {
            let role = match (position, section.kind) {
                (0, _) => UnitRole::Lead,
                (_, ItemKind::LivelihoodProject) => UnitRole::Cooperating,
                _ => UnitRole::Responsible,
            };
            rows.push(item_unit::Model::of(item, unit.id, role, None, position as i32));
        }
    }
    (items, rows)
}

/// Quarterly reports by each started item's lead unit, from the first quarter of its year up to
/// one that says what the item now shows (several per item), so that trends have data.
fn reports_of(rng: &mut ChaCha8Rng, items: &[item::Model], units: &[item_unit::Model]) -> Vec<progress_report::Model> {
    let lead: std::collections::HashMap<Uuid, Uuid> =
        units.iter().filter(|row| row.role == UnitRole::Lead).map(|row| (row.item_id, row.unit_id)).collect();
    let mut reports = Vec::new();
    for item in items.iter().filter(|item| item.status != Status::NotStarted) {
        let Some(unit_id) = lead.get(&item.id) else { continue };
        let quarters = rng.random_range(2..=4_u32);
        for quarter in 1..=quarters {
            let as_of = NaiveDate::from_ymd_opt(item.period_start, 3 * quarter, 1)
                .and_then(|first| first.checked_add_months(chrono::Months::new(1)))
                .and_then(|next| next.pred_opt())
                .unwrap_or_default();
            let last = quarter == quarters;
            let filed = at(as_of, rng);
            reports.push(progress_report::Model {
                id: id_at(rng, filed),
                item_id: item.id,
                unit_id: *unit_id,
                city_id: item.city_id,
                as_of,
                status: if last { item.status } else { Status::InProgress },
                progress: item.progress * quarter as i32 / quarters as i32,
                text: format!("第{quarter}季度按计划推进。"),
                problems: None,
                help_requested: None,
                filed_by_id: None,
                filed_by_name: "generator".to_owned(),
                created_at: filed,
                updated_at: filed,
            });
        }
    }
    reports
}

/// Inserts `models` in statements as large as the backend takes ([`rows_per_insert`]).
async fn insert_all<M>(db: &impl ConnectionTrait, models: Vec<M>) -> Result<()>
where
    M: sea_orm::ModelTrait + IntoActiveModel<<M::Entity as EntityTrait>::ActiveModel>,
    <M::Entity as EntityTrait>::ActiveModel: ActiveModelTrait<Entity = M::Entity> + Send,
{
    let per_statement = rows_per_insert::<M::Entity>(db.get_database_backend());
    let mut models = models.into_iter().peekable();
    while models.peek().is_some() {
        let chunk: Vec<_> = models.by_ref().take(per_statement).map(IntoActiveModel::into_active_model).collect();
        <M::Entity as EntityTrait>::insert_many(chunk).exec_without_returning(db).await?;
    }
    Ok(())
}
