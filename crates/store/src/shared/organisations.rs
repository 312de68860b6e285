use super::*;
use crate::{Organisation, Page, PageRequest, StaffMember};
use socialrx_domain::organisation::{NewOrganisation, NewStaffMember, OrganisationKind};
use socialrx_domain::{OdsCode, Role};
use sqlx::types::Json;

#[derive(sqlx::FromRow)]
struct OrganisationRow {
    id: Uuid,
    ods_code: String,
    name: String,
    kind: String,
    created_at: OffsetDateTime,
}

impl TryFrom<OrganisationRow> for Organisation {
    type Error = StoreError;
    fn try_from(r: OrganisationRow) -> Result<Self, StoreError> {
        let bad = |c: &str| StoreError::Corrupt(format!("organisation {c} does not parse"));
        Ok(Organisation {
            id: r.id,
            ods_code: OdsCode::parse(&r.ods_code).map_err(|_| bad("ods_code"))?,
            name: r.name,
            kind: OrganisationKind::parse(&r.kind).map_err(|_| bad("kind"))?,
            created_at: r.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct StaffRow {
    id: Uuid,
    organisation: String,
    subject: String,
    name: String,
    email: Option<String>,
    roles: Json<Vec<String>>,
    active: bool,
    created_at: OffsetDateTime,
}

impl TryFrom<StaffRow> for StaffMember {
    type Error = StoreError;
    fn try_from(r: StaffRow) -> Result<Self, StoreError> {
        Ok(StaffMember {
            id: r.id,
            organisation: r.organisation,
            subject: r.subject,
            name: r.name,
            email: r.email,
            roles: r
                .roles
                .0
                .iter()
                .map(|c| Role::parse(c))
                .collect::<Result<_, _>>()
                .map_err(|_| StoreError::Corrupt("staff role does not parse".into()))?,
            active: r.active,
            created_at: r.created_at,
        })
    }
}

fn page_of<R, T: TryFrom<R, Error = StoreError>>(
    rows: Vec<R>,
    page: PageRequest,
    id: impl Fn(&T) -> Uuid,
) -> Result<Page<T>, StoreError> {
    let more = rows.len() > page.limit as usize;
    let items = rows
        .into_iter()
        .take(page.limit as usize)
        .map(T::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    let next = if more { items.last().map(&id) } else { None };
    Ok(Page { items, next })
}

#[async_trait]
impl crate::OrganisationStore for Store {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_organisation(&self, new: NewOrganisation) -> Result<Organisation, StoreError> {
        let org = Organisation {
            id: Uuid::now_v7(),
            ods_code: new.ods_code,
            name: new.name,
            kind: new.kind,
            created_at: now(),
        };
        let inserted = sqlx::query(
            "INSERT INTO organisations (id, ods_code, name, kind, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (ods_code) DO NOTHING",
        )
        .bind(org.id)
        .bind(org.ods_code.as_str())
        .bind(&org.name)
        .bind(org.kind.as_str())
        .bind(org.created_at)
        .execute(&self.writer)
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(StoreError::AlreadyExists(format!(
                "organisation {} is already registered",
                org.ods_code
            )));
        }
        Ok(org)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_organisations(
        &self,
        page: PageRequest,
    ) -> Result<Page<Organisation>, StoreError> {
        let mut query = QueryBuilder::<Db>::new(
            "SELECT id, ods_code, name, kind, created_at FROM organisations WHERE 1 = 1",
        );
        if let Some(after) = page.after {
            query.push(" AND id > ").push_bind(after);
        }
        query
            .push(" ORDER BY id LIMIT ")
            .push_bind(i64::from(page.limit) + 1);
        let rows: Vec<OrganisationRow> = query.build_query_as().fetch_all(&self.reader).await?;
        page_of(rows, page, |o: &Organisation| o.id)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn get_organisation(&self, id: Uuid) -> Result<Organisation, StoreError> {
        let row: OrganisationRow = sqlx::query_as(
            "SELECT id, ods_code, name, kind, created_at FROM organisations WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.reader)
        .await?
        .ok_or(StoreError::NotFound)?;
        Organisation::try_from(row)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_staff_member(
        &self,
        organisation: &str,
        new: NewStaffMember,
    ) -> Result<StaffMember, StoreError> {
        let member = StaffMember {
            id: Uuid::now_v7(),
            organisation: organisation.to_owned(),
            subject: new.subject,
            name: new.name,
            email: new.email.map(|e| e.as_str().to_owned()),
            roles: new.roles,
            active: true,
            created_at: now(),
        };
        let roles: Vec<&str> = member.roles.iter().map(|r| r.as_str()).collect();
        let inserted = sqlx::query(
            "INSERT INTO staff (id, organisation, subject, name, email, roles, active, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (organisation, subject) DO NOTHING",
        )
        .bind(member.id)
        .bind(&member.organisation)
        .bind(&member.subject)
        .bind(&member.name)
        .bind(&member.email)
        .bind(Json(&roles))
        .bind(member.active)
        .bind(member.created_at)
        .execute(&self.writer)
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(StoreError::AlreadyExists(
                "a member of staff with this subject already exists".into(),
            ));
        }
        Ok(member)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_staff(
        &self,
        organisation: &str,
        page: PageRequest,
    ) -> Result<Page<StaffMember>, StoreError> {
        let mut query = QueryBuilder::<Db>::new(
            "SELECT id, organisation, subject, name, email, roles, active, created_at \
             FROM staff WHERE organisation = ",
        );
        query.push_bind(organisation);
        if let Some(after) = page.after {
            query.push(" AND id > ").push_bind(after);
        }
        query
            .push(" ORDER BY id LIMIT ")
            .push_bind(i64::from(page.limit) + 1);
        let rows: Vec<StaffRow> = query.build_query_as().fetch_all(&self.reader).await?;
        page_of(rows, page, |s: &StaffMember| s.id)
    }
}
