//! The collections' names as they appear on the wire: in URLs, revisions, the change feed and the
//! landing page.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A collection of the API, named as in its URL (`/api/v1/<collection>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Collection {
    Cities,
    Documents,
    Sections,
    Leaders,
    Units,
    WorkItems,
    LivelihoodProjects,
    /// Progress reports of units on items.
    Reports,
    Users,
}

impl Collection {
    /// The collections anyone may read (users are for admins only).
    pub const PUBLIC: [Collection; 8] = [
        Collection::Cities,
        Collection::Documents,
        Collection::Sections,
        Collection::Leaders,
        Collection::Units,
        Collection::WorkItems,
        Collection::LivelihoodProjects,
        Collection::Reports,
    ];

    /// The name, as in the collection's URL.
    pub fn as_str(self) -> &'static str {
        match self {
            Collection::Cities => "cities",
            Collection::Documents => "documents",
            Collection::Sections => "sections",
            Collection::Leaders => "leaders",
            Collection::Units => "units",
            Collection::WorkItems => "work-items",
            Collection::LivelihoodProjects => "livelihood-projects",
            Collection::Reports => "reports",
            Collection::Users => "users",
        }
    }

    /// The component schema of its records, as their own endpoint shows them.
    pub fn schema(self) -> &'static str {
        match self {
            Collection::Cities => "CityOut",
            Collection::Documents => "DocumentOut",
            Collection::Sections => "SectionDetailOut",
            Collection::Leaders => "LeaderOut",
            Collection::Units => "UnitOut",
            Collection::WorkItems => "WorkItemOut",
            Collection::LivelihoodProjects => "LivelihoodProjectOut",
            Collection::Reports => "ReportOut",
            Collection::Users => "UserOut",
        }
    }

    /// What the collection holds, for people.
    pub fn title(self) -> &'static str {
        match self {
            Collection::Cities => "County-level cities",
            Collection::Documents => "Issued notices",
            Collection::Sections => "The attachments and plans of documents",
            Collection::Leaders => "City leaders who lead groups of items",
            Collection::Units => "Responsible bodies",
            Collection::WorkItems => "Key work items (重点工作)",
            Collection::LivelihoodProjects => "Livelihood projects (民生实事项目)",
            Collection::Reports => "Dated progress reports of the responsible units",
            Collection::Users => "Accounts",
        }
    }
}
