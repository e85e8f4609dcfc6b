//! Revision DTOs, shared by every `/{collection}/{id}/revisions` route.

use chrono::{DateTime, Utc};
use entity::revision;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::views::collection::Collection;

/// What a change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    /// The resource is gone; the change feed shows it as a tombstone.
    Delete,
}

impl Action {
    /// The name, as stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
        }
    }
}

/// One changed field of a revision: its value before and after, `null` where it had none.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldChange {
    /// Before the change.
    #[schema(schema_with = any_json_value)]
    pub before: serde_json::Value,
    /// After the change.
    #[schema(schema_with = any_json_value)]
    pub after: serde_json::Value,
}

/// Any JSON value, spelt out as the `oneOf` of the JSON types so that generated clients type it as
/// such (a bare `{}` becomes `unknown` or `Any`). Arrays and objects hold any values. (utoipa drops
/// the field's doc comment with `schema_with`, hence the description here.)
fn any_json_value() -> utoipa::openapi::Schema {
    use utoipa::openapi::{
        ArrayBuilder, ObjectBuilder, RefOr, Schema, Type,
        schema::{AdditionalProperties, OneOfBuilder, SchemaType},
    };
    let any = || Schema::Object(ObjectBuilder::new().schema_type(SchemaType::AnyValue).build());
    let scalar = |kind: Type| ObjectBuilder::new().schema_type(kind).build();
    let one_of = OneOfBuilder::new()
        .item(scalar(Type::String))
        .item(scalar(Type::Number))
        .item(scalar(Type::Boolean))
        .item(ArrayBuilder::new().items(RefOr::T(any())).build())
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .additional_properties(Some(AdditionalProperties::RefOr(RefOr::T(any()))))
                .build(),
        )
        .item(scalar(Type::Null))
        .description(Some(
            "The field's value, any JSON value (string, number, boolean, array, object or null), as the resource's \
             endpoint shows it.",
        ))
        .build();
    Schema::OneOf(one_of)
}

/// Who made a change.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActorOut {
    /// The user's id; null for changes the server made itself (loading the seed documents).
    pub id: Option<Uuid>,
    #[schema(example = "yueqing-editor")]
    pub name: String,
}

/// One recorded change to one resource.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RevisionOut {
    pub id: Uuid,
    /// Position in commit order across all resources.
    pub seq: i64,
    /// The collection, e.g. `work-items`.
    #[schema(value_type = Collection)]
    pub resource_type: String,
    pub resource_id: Uuid,
    #[schema(value_type = Action)]
    pub action: String,
    pub actor: ActorOut,
    /// The changed fields by name (`updated_at` left out), each with its value before and after.
    #[schema(value_type = BTreeMap<String, FieldChange>, example = json!({"progress": {"before": 0, "after": 40}}))]
    pub changes: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

impl From<revision::Model> for RevisionOut {
    fn from(r: revision::Model) -> Self {
        Self {
            id: r.id,
            seq: r.seq,
            resource_type: r.resource_type,
            resource_id: r.resource_id,
            action: r.action,
            actor: ActorOut { id: r.actor_id, name: r.actor_name },
            changes: r.changes,
            created_at: r.created_at,
        }
    }
}

/// A list that takes no filters of its own, only the shared list options.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NoFilters {}

/// Parameters of DELETE.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeleteParams {
    /// Documents: also delete their sections and items; sections: also delete their items.
    /// Without it, a resource others depend on is a 409 that says what depends on it (leaders,
    /// units and cities always are: reassign or delete what uses them first).
    #[param(default = false)]
    pub cascade: Option<bool>,
}
