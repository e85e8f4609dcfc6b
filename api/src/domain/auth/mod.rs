//! Who is asking: bearer tokens, passwords, and the role and city checks.

pub mod jwt;
pub mod password;

use entity::{
    item_unit::UnitRole,
    user::{self, UserRole},
    user_unit,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::{
    domain::{journal::Actor, resource::Authority},
    error::ApiError,
};

/// A request made with a valid bearer token of an enabled user whose password has not changed
/// since the token was issued. Absent or invalid credentials are a 401.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: Uuid,
    pub username: String,
    pub role: UserRole,
    /// The one city an editor may write to; `None` for all.
    pub city_id: Option<Uuid>,
    /// A reporter's units: it may report on the items they are on. Empty for other roles.
    pub units: Vec<Uuid>,
    /// The roles on an item that let a reporter's unit report on it (`REPORTER_UNIT_ROLES`).
    pub reporting_roles: Vec<UnitRole>,
}

impl AuthUser {
    /// 403 unless an admin.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        match self.role {
            UserRole::Admin => Ok(()),
            _ => Err(ApiError::Forbidden("only an admin may do this".to_owned())),
        }
    }

    /// 403 unless an admin, or an editor whose scope includes `city_id`.
    pub fn require_city(&self, city_id: Uuid) -> Result<(), ApiError> {
        match (self.role, self.city_id) {
            (UserRole::Admin, _) => Ok(()),
            (UserRole::Editor, None) => Ok(()),
            (UserRole::Editor, Some(scope)) if scope == city_id => Ok(()),
            (UserRole::Editor, Some(_)) => {
                Err(ApiError::Forbidden("this editor may not write to another city's data".to_owned()))
            }
            (UserRole::Viewer, _) => Err(ApiError::Forbidden("a viewer may not write".to_owned())),
            (UserRole::Reporter, _) => Err(ApiError::Forbidden(
                "a reporter may only file and correct progress reports for its units".to_owned(),
            )),
        }
    }

    /// 403 unless this reporter speaks for `unit` and the unit's `role` on the item lets it
    /// report; anyone else as [`Self::require_city`].
    fn require_reporting_unit(&self, city: Uuid, unit: Option<Uuid>, role: Option<UnitRole>) -> Result<(), ApiError> {
        if self.role != UserRole::Reporter {
            return self.require_city(city);
        }
        if !unit.is_some_and(|unit| self.units.contains(&unit)) {
            return Err(ApiError::Forbidden("this reporter does not speak for the report's unit".to_owned()));
        }
        match role {
            Some(role) if self.reporting_roles.contains(&role) => Ok(()),
            Some(_) => Err(ApiError::Forbidden("the unit's role on this item does not let it report".to_owned())),
            None => Err(ApiError::Forbidden("the reporter's unit is not on this item".to_owned())),
        }
    }

    /// The user a valid token names, if they may still use it: enabled, and their password
    /// unchanged since the token was issued (`password_changed_at`, in microseconds).
    pub async fn of_token(
        db: &impl ConnectionTrait,
        user_id: Uuid,
        password_stamp: i64,
        reporting_roles: &[UnitRole],
    ) -> Result<Self, ApiError> {
        let user = user::Entity::find_by_id(user_id)
            .one(db)
            .await?
            .ok_or_else(|| ApiError::Unauthorized("the token's user no longer exists".to_owned()))?;
        if user.disabled {
            return Err(ApiError::Unauthorized("the token's user is disabled".to_owned()));
        }
        if user.password_changed_at.timestamp_micros() != password_stamp {
            return Err(ApiError::Unauthorized("the password has changed since the token was issued".to_owned()));
        }
        let units = match user.role {
            UserRole::Reporter => units_of(db, user.id).await?,
            _ => Vec::new(),
        };
        Ok(AuthUser {
            id: user.id,
            username: user.username,
            role: user.role,
            city_id: user.city_id,
            units,
            reporting_roles: reporting_roles.to_vec(),
        })
    }
}

impl Authority for AuthUser {
    fn actor(&self) -> Actor {
        Actor { id: Some(self.id), name: self.username.clone() }
    }

    fn authorize(&self, city: Option<Uuid>) -> Result<(), ApiError> {
        match city {
            Some(city) => self.require_city(city),
            None => self.require_admin(),
        }
    }

    fn authorize_report(&self, city: Uuid, unit: Option<Uuid>, role: Option<UnitRole>) -> Result<(), ApiError> {
        self.require_reporting_unit(city, unit, role)
    }
}

/// The units a user speaks for.
pub async fn units_of(db: &impl ConnectionTrait, user_id: Uuid) -> Result<Vec<Uuid>, ApiError> {
    Ok(user_unit::Entity::find()
        .select_only()
        .column(user_unit::Column::UnitId)
        .filter(user_unit::Column::UserId.eq(user_id))
        .into_tuple()
        .all(db)
        .await?)
}
