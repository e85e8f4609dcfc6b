//! OpenAPI documentation shared by the handlers: the list options of each list, and the error
//! responses of reads.

use std::{collections::BTreeMap, marker::PhantomData};

use utoipa::{
    IntoResponses, ToSchema,
    openapi::{
        ArrayBuilder, ContentBuilder, HeaderBuilder, KnownFormat, Object, ObjectBuilder, Ref, RefOr, Required,
        ResponseBuilder, SchemaFormat, Type,
        path::{Parameter, ParameterBuilder, ParameterIn, ParameterStyle},
        response::Response,
    },
};

use crate::views::{
    cities::CityOut,
    documents::DocumentOut,
    items::{LivelihoodProjectOut, WorkItemOut},
    page::{DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET},
    people::{LeaderOut, UnitOut},
    problem::Problem,
    reports::{MissingReportOut, ReportOut},
    revisions::RevisionOut,
    sections::SectionDetailOut,
    users::UserOut,
};

/// The list options as OpenAPI parameters, for a list sorted by `sort_fields` (the first is the
/// default) that can embed `includes`.
pub fn list_options(
    sort_fields: &[&str],
    default_sort: &str,
    includes: &[&str],
    representations: bool,
) -> Vec<Parameter> {
    let query = |name: &str, description: String, schema: Object| {
        ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Query)
            .required(Required::False)
            .description(Some(description))
            .schema(Some(schema))
            .build()
    };
    let integer = |min: i64, max: Option<i64>, default: i64| {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .minimum(Some(min))
            .maximum(max)
            .default(Some(default.into()))
            .build()
    };
    let text = |pattern: String| ObjectBuilder::new().schema_type(Type::String).pattern(Some(pattern)).build();
    let choice =
        |values: &[&str]| ObjectBuilder::new().schema_type(Type::String).enum_values(Some(values.to_vec())).build();
    // A comma-separated list of names (`style: form, explode: false`), which generated clients
    // type as an array of the literals.
    let names = |name: &str, description: String, values: Vec<String>| {
        let items = ObjectBuilder::new().schema_type(Type::String).enum_values(Some(values));
        ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Query)
            .required(Required::False)
            .description(Some(description))
            .style(Some(ParameterStyle::Form))
            .explode(Some(false))
            .schema(Some(ArrayBuilder::new().items(items).build()))
            .build()
    };
    let sort_values = sort_fields.iter().flat_map(|field| [(*field).to_owned(), format!("-{field}")]).collect();
    let mut params = vec![
        query("limit", "Page size.".to_owned(), integer(1, Some(MAX_LIMIT as i64), DEFAULT_LIMIT as i64)),
        query(
            "offset",
            format!(
                "Records to skip; with `cursor`, records to skip after it. At most {MAX_OFFSET}: page deeper with \
                 `cursor`."
            ),
            integer(0, Some(MAX_OFFSET as i64), 0),
        ),
        query(
            "cursor",
            "Keyset paging: the `next_cursor` of the previous page, with the same `sort`. Stable while records are \
             inserted or deleted."
                .to_owned(),
            text("^[A-Za-z0-9_-]+$".to_owned()),
        ),
        names(
            "sort",
            format!(
                "Sort fields, comma-separated, `-` before one for descending: {}. Default `{}`. Ties are broken by \
                 `id`, in the direction of the last field.",
                sort_fields.join(", "),
                default_sort
            ),
            sort_values,
        ),
    ];
    if representations {
        // Feeds show no total, so they take no `count`.
        params.push(query(
            "count",
            "`auto` (default) counts exactly up to the server's count limit (10,000 unless configured): past it \
             `total` is the limit, `total_relation` is `gte` and `X-Total-Count` is absent, so the cost stays \
             bounded however broad the filter. `exact` counts every match however many (slow on broad filters \
             over large data). `none` skips the count."
                .to_owned(),
            choice(&["auto", "exact", "none"]),
        ));
        if !includes.is_empty() {
            params.push(names(
                "include",
                format!("Embed related resources in full, comma-separated: {}.", includes.join(", ")),
                includes.iter().map(|include| (*include).to_owned()).collect(),
            ));
        }
    }
    params
}

/// Defines zero-sized types whose OpenAPI parameters are a list's options.
macro_rules! list_option_docs {
    ($($(#[$doc:meta])* $name:ident: sort [$($sort:literal),+] default $default:literal, include [$($include:literal),*], representations $repr:literal;)+) => {
        $(
            $(#[$doc])*
            pub struct $name;

            impl utoipa::IntoParams for $name {
                fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
                    list_options(&[$($sort),+], $default, &[$($include),*], $repr)
                }
            }
        )+
    };
}

list_option_docs! {
    /// The options of the work item and livelihood project lists.
    ItemListOptions: sort ["seq", "progress", "status", "period", "created_at", "updated_at", "due_on"] default "seq", include ["city", "document"], representations true;
    /// The options of the item feeds.
    ItemFeedOptions: sort ["updated_at", "seq", "progress", "status", "period", "created_at", "due_on"] default "-updated_at", include [], representations false;
    /// The options of the document list.
    DocumentListOptions: sort ["issued_on", "doc_number", "created_at", "updated_at"] default "-issued_on", include ["city"], representations true;
    /// The options of the document feed.
    DocumentFeedOptions: sort ["updated_at", "issued_on", "doc_number", "created_at"] default "-updated_at", include [], representations false;
    /// The options of the city list.
    CityListOptions: sort ["code", "name", "name_en", "created_at", "updated_at"] default "code", include [], representations true;
    /// The options of the leader and unit lists.
    NamedListOptions: sort ["name", "created_at"] default "name", include ["city"], representations true;
    /// The options of the section list.
    SectionListOptions: sort ["number"] default "number", include ["city"], representations true;
    /// The options of the user list.
    UserListOptions: sort ["username", "created_at"] default "username", include ["city"], representations true;
    /// The options of the report lists.
    ReportListOptions: sort ["as_of", "created_at", "progress", "updated_at"] default "-as_of", include [], representations true;
    /// The options of the report feed.
    ReportFeedOptions: sort ["updated_at", "as_of", "created_at", "progress"] default "-updated_at", include [], representations false;
    /// The options of the list of missing reports.
    MissingReportOptions: sort ["item"] default "item", include [], representations true;
    /// The options of revision lists.
    RevisionListOptions: sort ["seq"] default "seq", include [], representations true;
}

/// The errors a list can answer with.
#[derive(IntoResponses)]
pub enum ListErrorsOwn {
    /// A parameter is unknown or malformed, or out of range.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(#[to_schema] Problem),
}

/// [`ListErrorsOwn`] and the errors any request can meet.
pub type ListErrors = And<ListErrorsOwn, TransientErrors>;

/// The errors a single-resource read can answer with.
#[derive(IntoResponses)]
pub enum GetErrorsOwn {
    /// The id is malformed.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(#[to_schema] Problem),
    /// No resource has this id.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(#[to_schema] Problem),
}

/// [`GetErrorsOwn`] and the errors any request can meet.
pub type GetErrors = And<GetErrorsOwn, TransientErrors>;

/// Errors of admin-only reads.
#[derive(IntoResponses)]
pub enum AdminReadErrorsOwn {
    /// A parameter or the id is malformed.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(#[to_schema] Problem),
    /// No valid bearer token.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(#[to_schema] Problem),
    /// Only admins may read users.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(#[to_schema] Problem),
    /// No user has this id.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(#[to_schema] Problem),
}

/// [`AdminReadErrorsOwn`] and the errors any request can meet.
pub type AdminReadErrors = And<AdminReadErrorsOwn, TransientErrors>;

/// A record type that lists return, with the plural its 200 response names.
pub trait Listed: ToSchema {
    /// E.g. `documents`, for "A page of documents".
    const PLURAL: &'static str;
}

macro_rules! listed {
    ($($out:ty => $plural:literal),+ $(,)?) => {
        $(impl Listed for $out {
            const PLURAL: &'static str = $plural;
        })+
    };
}

listed! {
    CityOut => "cities",
    DocumentOut => "documents",
    SectionDetailOut => "sections",
    LeaderOut => "leaders",
    UnitOut => "units",
    WorkItemOut => "work items",
    LivelihoodProjectOut => "livelihood projects",
    UserOut => "users",
    RevisionOut => "revisions",
    ReportOut => "progress reports",
    MissingReportOut => "missing reports",
}

/// The 200 response of a list of `T`: the page as JSON (`Page_T`, registered with the document's
/// components), with the `Link` and `X-Total-Count` headers. Its CSV, NDJSON and partial JSON are
/// operations of their own, which the document derives from this one (`openapi.rs`,
/// `list_representations`).
pub struct ListOk<T>(PhantomData<T>);

impl<T: Listed> IntoResponses for ListOk<T> {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let header = |description: &str| {
            HeaderBuilder::new()
                .schema(ObjectBuilder::new().schema_type(Type::String))
                .description(Some(description))
                .build()
        };
        let page = ContentBuilder::new().schema(Some(Ref::from_schema_name(format!("Page_{}", T::name())))).build();
        let response = ResponseBuilder::new()
            .description(format!("A page of {}", T::PLURAL))
            .header("Link", header("RFC 8288 links to the first, previous and next pages"))
            .header(
                "X-Total-Count",
                header("All matches, exactly; absent with count=none and when the count stopped at the limit"),
            )
            .content("application/json", page)
            .build();
        BTreeMap::from([("200".to_owned(), RefOr::T(response))])
    }
}

/// The responses of `A` and of `B` together: error enums share the answers every request can
/// meet instead of repeating them.
pub struct And<A, B>(PhantomData<(A, B)>);

impl<A: IntoResponses, B: IntoResponses> IntoResponses for And<A, B> {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let mut responses = A::responses();
        responses.append(&mut B::responses());
        responses
    }
}

/// What any request may meet: a rate limit, an unavailable database, a failure of the server.
#[derive(IntoResponses)]
pub enum TransientErrors {
    /// Too many requests from this client (or user); `Retry-After` says when to try again.
    #[response(
        status = 429,
        content_type = "application/problem+json",
        headers(
            ("Retry-After" = u64, description = "Seconds to wait before trying again"),
            ("RateLimit-Policy" = String, description = "The limit that applies (IETF draft-ietf-httpapi-ratelimit-headers)"),
            ("RateLimit" = String, description = "What is left of the limit and when it resets (IETF draft)")
        )
    )]
    TooManyRequests(#[to_schema] Problem),
    /// The database cannot be reached or took too long, or the server is shutting down; nothing
    /// was changed. `Retry-After` says when to try again.
    #[response(
        status = 503,
        content_type = "application/problem+json",
        headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))
    )]
    Unavailable(#[to_schema] Problem),
    /// The server failed; the detail never says why.
    #[response(status = 500, content_type = "application/problem+json")]
    Internal(#[to_schema] Problem),
}

/// What a write may meet besides [`TransientErrors`].
#[derive(IntoResponses)]
pub enum CommitErrors {
    /// The write was sent but its commit was not confirmed (the database connection broke, or the
    /// request ran out of time): it may or may not have been saved. Read the resource before
    /// retrying.
    #[response(
        status = 504,
        content_type = "application/problem+json",
        headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))
    )]
    OutcomeUnknown(#[to_schema] Problem),
}

/// What any write may meet: [`TransientErrors`] and [`CommitErrors`].
pub type WriteErrors = And<TransientErrors, CommitErrors>;
