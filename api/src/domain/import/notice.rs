//! Imports of notice text: the parser's document, for a city the database holds.

use entity::{city, unit};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

use crate::{
    domain::{
        import::{import_document, preview_document},
        notice::{self, Layout, ParseOptions, Parsed},
        resource::Authority,
    },
    error::{ApiError, FieldError, Result},
    views::import::{DocumentFile, FileCity, ImportOut, ImportParams, NoticeImportSummary},
};

/// What `POST /api/v1/imports` carries: a document file, or the text of a notice to parse.
#[derive(Debug)]
pub enum ImportInput {
    /// A file in the import format, parsed but not yet checked.
    File(Box<DocumentFile>),
    /// The bytes of a notice (UTF-8 text).
    Notice(Vec<u8>),
}

/// Imports `input`, or previews the import when `params.dry_run` is set. A notice is parsed for
/// the city `params.city` (or the one its issuer names) first; its warnings come with the answer.
pub async fn import(
    db: &DatabaseConnection,
    input: ImportInput,
    params: &ImportParams,
    who: &impl Authority,
) -> Result<ImportOut> {
    let dry_run = params.dry_run.unwrap_or(false);
    match input {
        ImportInput::File(file) => {
            for (name, given) in [("layout", params.layout.is_some()), ("city", params.city.is_some())] {
                if given {
                    return Err(ApiError::bad_field(name, "applies only to notice text (Content-Type: text/plain)"));
                }
            }
            Ok(if dry_run {
                ImportOut::Preview(preview_document(db, &file, who).await?)
            } else {
                ImportOut::Summary(import_document(db, &file, who).await?)
            })
        }
        ImportInput::Notice(bytes) => {
            let (file, report) = parse_for_city(db, &bytes, params.layout, params.city.as_deref()).await?.into_parts();
            Ok(if dry_run {
                let mut preview = preview_document(db, &file, who).await?;
                preview.notice = Some(report);
                ImportOut::Preview(preview)
            } else {
                let summary = import_document(db, &file, who).await?;
                ImportOut::Notice(NoticeImportSummary { summary, notice: report })
            })
        }
    }
}

/// Parses notice bytes for a city of the database: the one with admin code `city_code`, or else
/// the one whose name the notice's issuer gives. The city's fields fill the document's `city`,
/// and the notice's units are matched against the city's units. A city the database does not
/// hold is a 422: its code, English name, province and prefecture are not in a notice.
pub async fn parse_for_city(
    db: &impl ConnectionTrait,
    bytes: &[u8],
    layout: Option<Layout>,
    city_code: Option<&str>,
) -> Result<Parsed> {
    let options = ParseOptions { layout, ..ParseOptions::default() };
    let city = match city_code {
        Some(code) => city::Entity::find()
            .filter(city::Column::Code.eq(code))
            .one(db)
            .await?
            .ok_or_else(|| not_in_database(format!("no city has the admin code {code}")))?,
        None => {
            // The issuer names the city (玉环市人民政府办公室); parsing is cheap, so read the
            // notice once to learn the name, and again with the city.
            let parsed = notice::parse_bytes(bytes, &options)?;
            let name = parsed.document.city.name;
            let mut found = city::Entity::find().filter(city::Column::Name.eq(&name)).limit(2).all(db).await?;
            match (found.pop(), found.is_empty()) {
                (Some(city), true) => city,
                (Some(_), false) => {
                    return Err(not_in_database(format!(
                        "several cities are named {name}: give `city` (the admin code)"
                    )));
                }
                (None, _) if name.is_empty() => {
                    return Err(not_in_database("the issuer names no city: give `city` (the admin code)".to_owned()));
                }
                (None, _) => {
                    return Err(not_in_database(format!("no city named {name} (the notice's issuer) exists")));
                }
            }
        }
    };
    let known_units: Vec<String> = unit::Entity::find()
        .select_only()
        .column(unit::Column::Name)
        .filter(unit::Column::CityId.eq(city.id))
        .into_tuple()
        .all(db)
        .await?;
    let city = FileCity {
        code: city.code,
        name: city.name,
        name_en: city.name_en,
        province: city.province,
        prefecture: city.prefecture,
    };
    Ok(notice::parse_bytes(bytes, &ParseOptions { city: Some(city), known_units, ..options })?)
}

/// A 422 about the notice's city, saying how to go on.
fn not_in_database(reason: String) -> ApiError {
    let message = format!(
        "{reason}; a notice can be imported only for a city the database holds. Import the city's \
         first document as JSON with the city's fields, or parse the notice with `duban parse` and \
         fill in `city`"
    );
    ApiError::invalid(format!("city: {message}"), vec![FieldError::new("city", message)])
}
