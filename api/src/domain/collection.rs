//! The collections' names, as in URLs, revisions and the change feed.

use entity::item::ItemKind;

pub const CITIES: &str = "cities";
pub const DOCUMENTS: &str = "documents";
pub const SECTIONS: &str = "sections";
pub const LEADERS: &str = "leaders";
pub const UNITS: &str = "units";
pub const WORK_ITEMS: &str = "work-items";
pub const LIVELIHOOD_PROJECTS: &str = "livelihood-projects";
pub const USERS: &str = "users";
pub const REPORTS: &str = "reports";

/// Every collection the change feed may list, users included (they are left out of it).
pub const ALL: [&str; 9] =
    [CITIES, DOCUMENTS, SECTIONS, LEADERS, UNITS, WORK_ITEMS, LIVELIHOOD_PROJECTS, REPORTS, USERS];

/// The collection of an item of `kind`.
pub fn of_item(kind: ItemKind) -> &'static str {
    match kind {
        ItemKind::WorkItem => WORK_ITEMS,
        ItemKind::LivelihoodProject => LIVELIHOOD_PROJECTS,
    }
}

/// Whether `collection` holds items (work items or livelihood projects).
pub fn is_items(collection: &str) -> bool {
    collection == WORK_ITEMS || collection == LIVELIHOOD_PROJECTS
}
