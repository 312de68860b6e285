use super::rows::{corrupt, parse_all, parse_optional};
use super::*;
use crate::{ActivityChange, DirectorySummary, Page, PageRequest, Upserted};
use socialrx_domain::directory::{
    AccessibilityFeature, Activity, ActivityStatus, AgeRange, Category, Contact, Cost, CostUnit,
    JoinMethod, Location, NewActivity, NewProvider, Point, Provider, Session, TimeOfDay, Weekday,
};
use socialrx_domain::{OdsCode, Postcode};
use sqlx::types::Json;

const PROVIDER_COLUMNS: &str = "id, organisation, name, description, ods_code, contact_name, \
    contact_email, contact_phone, website, external_id, created_at, updated_at";

/// The columns an editor's description fills, in binding order (see `bind_activity`).
const ACTIVITY_CONTENT: &str = "provider_id, name, description, categories, status, \
    join_method, cost_pence, cost_unit, age_min, age_max, accessibility, online, \
    has_location, address, town, postcode, latitude, longitude, area, \
    confidential_location, schedule, contact_name, contact_email, contact_phone, website, \
    capacity, taking_new_people, last_verified_on, external_id";

const SELECT_ACTIVITY: &str = "SELECT a.id, a.organisation, a.provider_id, \
    p.name AS provider_name, a.name, a.description, a.categories, a.status, a.join_method, \
    a.cost_pence, a.cost_unit, a.age_min, a.age_max, a.accessibility, a.online, \
    a.has_location, a.address, a.town, a.postcode, a.latitude, a.longitude, a.area, \
    a.confidential_location, a.schedule, a.contact_name, a.contact_email, a.contact_phone, \
    a.website, a.capacity, a.taking_new_people, a.last_verified_on, a.external_id, \
    a.version, a.deleted, a.created_at, a.updated_at \
    FROM activities a JOIN providers p ON p.id = a.provider_id";

/// `cost_unit` of an activity whose cost nobody stated, with no `cost_pence`: not a
/// unit code, so it cannot be read as a paid cost, and no amount means not free.
const UNKNOWN_COST: &str = "unknown";

#[derive(sqlx::FromRow)]
struct ProviderRow {
    id: Uuid,
    organisation: String,
    name: String,
    description: Option<String>,
    ods_code: Option<String>,
    contact_name: Option<String>,
    contact_email: Option<String>,
    contact_phone: Option<String>,
    website: Option<String>,
    external_id: Option<String>,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct SessionJson {
    day: String,
    start: String,
    end: String,
}

#[derive(sqlx::FromRow)]
struct ActivityRow {
    id: Uuid,
    organisation: String,
    provider_id: Uuid,
    provider_name: String,
    name: String,
    description: Option<String>,
    categories: Json<Vec<String>>,
    status: String,
    join_method: String,
    cost_pence: Option<i32>,
    cost_unit: Option<String>,
    age_min: Option<i32>,
    age_max: Option<i32>,
    accessibility: Json<Vec<String>>,
    online: bool,
    has_location: bool,
    address: Option<String>,
    town: Option<String>,
    postcode: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    area: Option<String>,
    confidential_location: bool,
    schedule: Json<Vec<SessionJson>>,
    contact_name: Option<String>,
    contact_email: Option<String>,
    contact_phone: Option<String>,
    website: Option<String>,
    capacity: Option<i32>,
    taking_new_people: bool,
    last_verified_on: Option<time::Date>,
    external_id: Option<String>,
    version: i64,
    deleted: bool,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

impl TryFrom<ProviderRow> for Provider {
    type Error = StoreError;
    fn try_from(r: ProviderRow) -> Result<Self, StoreError> {
        Ok(Provider {
            id: r.id,
            organisation: r.organisation,
            details: NewProvider {
                name: r.name,
                description: r.description,
                ods_code: parse_optional(r.ods_code.as_deref(), OdsCode::parse, "ods_code")?,
                contact: Contact {
                    name: r.contact_name,
                    email: r.contact_email,
                    phone: r.contact_phone,
                    website: r.website,
                },
                external_id: r.external_id,
            },
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

fn small(n: Option<i32>, column: &'static str) -> Result<Option<u8>, StoreError> {
    n.map(|v| u8::try_from(v).map_err(|_| StoreError::Corrupt(format!("{column} is out of range"))))
        .transpose()
}

fn cost(pence: Option<i32>, unit: Option<&str>) -> Result<Cost, StoreError> {
    Ok(match (pence, unit) {
        (None, Some(UNKNOWN_COST)) => Cost::Unknown,
        (Some(p), Some(u)) => Cost::Paid {
            pence: u32::try_from(p).map_err(|_| StoreError::Corrupt("cost is negative".into()))?,
            unit: CostUnit::parse(u).map_err(corrupt("cost_unit"))?,
        },
        _ => Cost::Free,
    })
}

fn schedule(sessions: &[SessionJson]) -> Result<Vec<Session>, StoreError> {
    sessions
        .iter()
        .map(|s| {
            Ok(Session {
                day: Weekday::parse(&s.day)?,
                start: TimeOfDay::parse(&s.start)?,
                end: TimeOfDay::parse(&s.end)?,
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(corrupt("schedule"))
}

impl TryFrom<ActivityRow> for Activity {
    type Error = StoreError;
    fn try_from(r: ActivityRow) -> Result<Self, StoreError> {
        let cost = cost(r.cost_pence, r.cost_unit.as_deref())?;
        let location = if r.has_location {
            Some(Location {
                address: r.address,
                town: r.town,
                postcode: parse_optional(r.postcode.as_deref(), Postcode::parse, "postcode")?,
                point: match (r.latitude, r.longitude) {
                    (Some(lat), Some(lon)) => Some(Point { lat, lon }),
                    _ => None,
                },
                area: r.area,
            })
        } else {
            None
        };
        let schedule = schedule(&r.schedule.0)?;
        Ok(Activity {
            id: r.id,
            organisation: r.organisation,
            provider_name: r.provider_name,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
            details: NewActivity {
                provider_id: r.provider_id,
                name: r.name,
                description: r.description,
                categories: parse_all(&r.categories.0, Category::parse, "categories")?,
                status: ActivityStatus::parse(&r.status).map_err(corrupt("status"))?,
                join_method: JoinMethod::parse(&r.join_method).map_err(corrupt("join_method"))?,
                cost,
                ages: AgeRange {
                    min: small(r.age_min, "age_min")?,
                    max: small(r.age_max, "age_max")?,
                },
                accessibility: parse_all(
                    &r.accessibility.0,
                    AccessibilityFeature::parse,
                    "accessibility",
                )?,
                online: r.online,
                location,
                confidential_location: r.confidential_location,
                schedule,
                contact: Contact {
                    name: r.contact_name,
                    email: r.contact_email,
                    phone: r.contact_phone,
                    website: r.website,
                },
                capacity: r.capacity.map(|c| c.max(0) as u32),
                taking_new_people: r.taking_new_people,
                last_verified_on: r.last_verified_on,
                external_id: r.external_id,
            },
        })
    }
}

/// Binds the content columns of `ACTIVITY_CONTENT`, in order.
fn bind_activity(sep: &mut sqlx::query_builder::Separated<'_, Db, &'static str>, a: &NewActivity) {
    let codes = |v: Vec<&'static str>| Json(v.into_iter().map(str::to_owned).collect::<Vec<_>>());
    let (pence, unit) = match a.cost {
        Cost::Free => (None, None),
        Cost::Unknown => (None, Some(UNKNOWN_COST.to_owned())),
        Cost::Paid { pence, unit } => (
            Some(pence.min(i32::MAX as u32) as i32),
            Some(unit.as_str().to_owned()),
        ),
    };
    let loc = a.location.clone();
    let point = loc.as_ref().and_then(|l| l.point);
    let schedule: Vec<SessionJson> = a
        .schedule
        .iter()
        .map(|s| SessionJson {
            day: s.day.as_str().to_owned(),
            start: s.start.to_string(),
            end: s.end.to_string(),
        })
        .collect();
    sep.push_bind(a.provider_id)
        .push_bind(a.name.clone())
        .push_bind(a.description.clone())
        .push_bind(codes(a.categories.iter().map(|c| c.as_str()).collect()))
        .push_bind(a.status.as_str())
        .push_bind(a.join_method.as_str())
        .push_bind(pence)
        .push_bind(unit)
        .push_bind(a.ages.min.map(i32::from))
        .push_bind(a.ages.max.map(i32::from))
        .push_bind(codes(a.accessibility.iter().map(|c| c.as_str()).collect()))
        .push_bind(a.online)
        .push_bind(loc.is_some())
        .push_bind(loc.as_ref().and_then(|l| l.address.clone()))
        .push_bind(loc.as_ref().and_then(|l| l.town.clone()))
        .push_bind(
            loc.as_ref()
                .and_then(|l| l.postcode.as_ref().map(|p| p.as_str().to_owned())),
        )
        .push_bind(point.map(|p| p.lat))
        .push_bind(point.map(|p| p.lon))
        .push_bind(loc.as_ref().and_then(|l| l.area.clone()))
        .push_bind(a.confidential_location)
        .push_bind(Json(schedule))
        .push_bind(a.contact.name.clone())
        .push_bind(a.contact.email.clone())
        .push_bind(a.contact.phone.clone())
        .push_bind(a.contact.website.clone())
        .push_bind(a.capacity.map(|c| c.min(i32::MAX as u32) as i32))
        .push_bind(a.taking_new_people)
        .push_bind(a.last_verified_on)
        .push_bind(a.external_id.clone());
}

async fn insert_provider(
    tx: &mut sqlx::Transaction<'_, Db>,
    organisation: &str,
    p: &NewProvider,
) -> Result<Provider, StoreError> {
    let at = now();
    let id = Uuid::now_v7();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO providers ({PROVIDER_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    )))
    .bind(id)
    .bind(organisation)
    .bind(&p.name)
    .bind(&p.description)
    .bind(p.ods_code.as_ref().map(|c| c.as_str()))
    .bind(&p.contact.name)
    .bind(&p.contact.email)
    .bind(&p.contact.phone)
    .bind(&p.contact.website)
    .bind(&p.external_id)
    .bind(at)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(Provider {
        id,
        organisation: organisation.to_owned(),
        details: p.clone(),
        created_at: at,
        updated_at: at,
    })
}

async fn replace_provider(
    tx: &mut sqlx::Transaction<'_, Db>,
    organisation: &str,
    id: Uuid,
    p: &NewProvider,
) -> Result<(), StoreError> {
    let done = sqlx::query(
        "UPDATE providers SET name = $1, description = $2, ods_code = $3, contact_name = $4, \
         contact_email = $5, contact_phone = $6, website = $7, external_id = $8, updated_at = $9 \
         WHERE id = $10 AND organisation = $11",
    )
    .bind(&p.name)
    .bind(&p.description)
    .bind(p.ods_code.as_ref().map(|c| c.as_str()))
    .bind(&p.contact.name)
    .bind(&p.contact.email)
    .bind(&p.contact.phone)
    .bind(&p.contact.website)
    .bind(&p.external_id)
    .bind(now())
    .bind(id)
    .bind(organisation)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    // The activities carry the provider's name into search: mark them changed.
    sqlx::query("UPDATE activities SET updated_at = $1 WHERE provider_id = $2")
        .bind(now())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn read_provider<'e, E: sqlx::Executor<'e, Database = Db>>(
    executor: E,
    id: Uuid,
) -> Result<Provider, StoreError> {
    let row: ProviderRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {PROVIDER_COLUMNS} FROM providers WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(executor)
    .await?
    .ok_or(StoreError::NotFound)?;
    Provider::try_from(row)
}

async fn read_activity<'e, E: sqlx::Executor<'e, Database = Db>>(
    executor: E,
    id: Uuid,
) -> Result<Activity, StoreError> {
    let row: ActivityRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT_ACTIVITY} WHERE a.id = $1 AND a.deleted = $2"
    )))
    .bind(id)
    .bind(false)
    .fetch_optional(executor)
    .await?
    .ok_or(StoreError::NotFound)?;
    Activity::try_from(row)
}

/// The provider must exist and belong to the organisation.
async fn check_own_provider(
    tx: &mut sqlx::Transaction<'_, Db>,
    organisation: &str,
    provider_id: Uuid,
) -> Result<(), StoreError> {
    let found: Option<(Uuid,)> =
        sqlx::query_as("SELECT id FROM providers WHERE id = $1 AND organisation = $2")
            .bind(provider_id)
            .bind(organisation)
            .fetch_optional(&mut **tx)
            .await?;
    found.map(|_| ()).ok_or(StoreError::NotFound)
}

async fn insert_activity(
    tx: &mut sqlx::Transaction<'_, Db>,
    organisation: &str,
    a: &NewActivity,
) -> Result<Uuid, StoreError> {
    check_own_provider(tx, organisation, a.provider_id).await?;
    let at = now();
    let id = Uuid::now_v7();
    let mut query = QueryBuilder::<Db>::new(format!(
        "INSERT INTO activities (id, organisation, version, deleted, created_at, updated_at, \
         {ACTIVITY_CONTENT}) VALUES ("
    ));
    {
        let mut sep = query.separated(", ");
        sep.push_bind(id)
            .push_bind(organisation.to_owned())
            .push_bind(1_i64)
            .push_bind(false)
            .push_bind(at)
            .push_bind(at);
        bind_activity(&mut sep, a);
    }
    query.push(")");
    query.build().execute(&mut **tx).await?;
    Ok(id)
}

#[async_trait]
impl crate::DirectoryStore for Store {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_provider(
        &self,
        organisation: &str,
        provider: NewProvider,
    ) -> Result<Provider, StoreError> {
        let mut tx = self.writer.begin().await?;
        let p = insert_provider(&mut tx, organisation, &provider).await?;
        tx.commit().await?;
        Ok(p)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn update_provider(
        &self,
        organisation: &str,
        id: Uuid,
        provider: NewProvider,
    ) -> Result<Provider, StoreError> {
        let mut tx = self.writer.begin().await?;
        replace_provider(&mut tx, organisation, id, &provider).await?;
        let p = read_provider(&mut *tx, id).await?;
        tx.commit().await?;
        Ok(p)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn get_provider(&self, id: Uuid) -> Result<Provider, StoreError> {
        read_provider(&self.reader, id).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_providers(&self, page: PageRequest) -> Result<Page<Provider>, StoreError> {
        // Public, and nobody reads it to see their own write: it may be stale.
        let rows: Vec<ProviderRow> = self
            .stale_ok(&self.reader, |pool| async move {
                let mut query =
                    QueryBuilder::<Db>::new(format!("SELECT {PROVIDER_COLUMNS} FROM providers"));
                if let Some(after) = page.after {
                    query.push(" WHERE id > ").push_bind(after);
                }
                query
                    .push(" ORDER BY id LIMIT ")
                    .push_bind(i64::from(page.limit) + 1);
                Ok(query.build_query_as().fetch_all(pool).await?)
            })
            .await?;
        let more = rows.len() > page.limit as usize;
        let items = rows
            .into_iter()
            .take(page.limit as usize)
            .map(Provider::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        let next = if more {
            items.last().map(|p| p.id)
        } else {
            None
        };
        Ok(Page { items, next })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_activity(
        &self,
        organisation: &str,
        activity: NewActivity,
    ) -> Result<Activity, StoreError> {
        let mut tx = self.writer.begin().await?;
        let id = insert_activity(&mut tx, organisation, &activity).await?;
        let a = read_activity(&mut *tx, id).await?;
        tx.commit().await?;
        Ok(a)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn update_activity(
        &self,
        organisation: &str,
        id: Uuid,
        expected_version: Option<i64>,
        activity: NewActivity,
    ) -> Result<Activity, StoreError> {
        let mut tx = self.writer.begin().await?;
        update_activity_in(&mut tx, organisation, id, expected_version, &activity).await?;
        let a = read_activity(&mut *tx, id).await?;
        tx.commit().await?;
        Ok(a)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn delete_activity(&self, organisation: &str, id: Uuid) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE activities SET deleted = $1, version = version + 1, updated_at = $2 \
             WHERE id = $3 AND organisation = $4 AND deleted = $5",
        )
        .bind(true)
        .bind(now())
        .bind(id)
        .bind(organisation)
        .bind(false)
        .execute(&self.writer)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn get_activity(&self, id: Uuid) -> Result<Activity, StoreError> {
        read_activity(&self.reader, id).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn activities_by_external_id(
        &self,
        external_id: &str,
    ) -> Result<Vec<Activity>, StoreError> {
        // The ORUK lookup by feed id: public, and it may be stale.
        let rows: Vec<ActivityRow> = self
            .stale_ok(&self.reader, |pool| async move {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{SELECT_ACTIVITY} WHERE a.external_id = $1 AND a.deleted = $2 ORDER BY a.id"
                )))
                .bind(external_id)
                .bind(false)
                .fetch_all(pool)
                .await?)
            })
            .await?;
        rows.into_iter().map(Activity::try_from).collect()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_activities(
        &self,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Activity>, StoreError> {
        let mut query = QueryBuilder::<Db>::new(SELECT_ACTIVITY);
        query.push(" WHERE a.deleted = ").push_bind(false);
        if let Some(after) = after {
            query.push(" AND a.id > ").push_bind(after);
        }
        query
            .push(" ORDER BY a.id LIMIT ")
            .push_bind(i64::from(limit));
        // The search index's full load walks the whole table: the scanner pool.
        let rows: Vec<ActivityRow> = query.build_query_as().fetch_all(&self.scanner).await?;
        rows.into_iter().map(Activity::try_from).collect()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn directory_summary(&self) -> Result<DirectorySummary, StoreError> {
        // The count scans the table (there is no index on status): the scanner pool,
        // whose SQLite connection reads pages rather than mapping the whole table into
        // the process's resident memory. The latest stamp is one index probe.
        let (searchable,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM activities WHERE deleted = $1 AND status = $2")
                .bind(false)
                .bind(ActivityStatus::Active.as_str())
                .fetch_one(&self.scanner)
                .await?;
        let latest: Option<(OffsetDateTime,)> =
            sqlx::query_as("SELECT updated_at FROM activities ORDER BY updated_at DESC LIMIT 1")
                .fetch_optional(&self.reader)
                .await?;
        Ok(DirectorySummary {
            searchable: searchable.max(0) as u64,
            latest_change: latest.map(|(at,)| at),
        })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn activities_changed_since(
        &self,
        since: OffsetDateTime,
    ) -> Result<Vec<(OffsetDateTime, ActivityChange)>, StoreError> {
        // Every instance's search index follows this feed: it may be stale (see `stale_ok`).
        let rows: Vec<ActivityRow> = self
            .stale_ok(&self.reader, |pool| async move {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{SELECT_ACTIVITY} WHERE a.updated_at >= $1 ORDER BY a.updated_at, a.id"
                )))
                .bind(since)
                .fetch_all(pool)
                .await?)
            })
            .await?;
        rows.into_iter()
            .map(|r| {
                let at = r.updated_at;
                if r.deleted {
                    Ok((
                        at,
                        ActivityChange::Deleted {
                            id: r.id,
                            version: r.version,
                        },
                    ))
                } else {
                    Activity::try_from(r).map(|a| (at, ActivityChange::Upserted(Box::new(a))))
                }
            })
            .collect()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn upsert_provider(
        &self,
        organisation: &str,
        provider: NewProvider,
    ) -> Result<(Provider, Upserted), StoreError> {
        let mut tx = self.writer.begin().await?;
        let existing: Option<ProviderRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {PROVIDER_COLUMNS} FROM providers WHERE organisation = $1 AND external_id = $2"
        )))
        .bind(organisation)
        .bind(&provider.external_id)
        .fetch_optional(&mut *tx)
        .await?;
        let result = match existing {
            None => (
                insert_provider(&mut tx, organisation, &provider).await?,
                Upserted::Created,
            ),
            Some(row) => {
                let current = Provider::try_from(row)?;
                if current.details == provider {
                    (current, Upserted::Unchanged)
                } else {
                    replace_provider(&mut tx, organisation, current.id, &provider).await?;
                    (
                        read_provider(&mut *tx, current.id).await?,
                        Upserted::Updated,
                    )
                }
            }
        };
        tx.commit().await?;
        Ok(result)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn upsert_activity(
        &self,
        organisation: &str,
        activity: NewActivity,
    ) -> Result<(Activity, Upserted), StoreError> {
        let mut tx = self.writer.begin().await?;
        let existing: Option<ActivityRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SELECT_ACTIVITY} WHERE a.organisation = $1 AND a.external_id = $2"
        )))
        .bind(organisation)
        .bind(&activity.external_id)
        .fetch_optional(&mut *tx)
        .await?;
        let (id, what) = match existing {
            None => (
                insert_activity(&mut tx, organisation, &activity).await?,
                Upserted::Created,
            ),
            Some(row) => {
                let deleted = row.deleted;
                let current = Activity::try_from(row)?;
                if current.details == activity && !deleted {
                    tx.commit().await?;
                    return Ok((current, Upserted::Unchanged));
                }
                sqlx::query("UPDATE activities SET deleted = $1 WHERE id = $2")
                    .bind(false)
                    .bind(current.id)
                    .execute(&mut *tx)
                    .await?;
                update_activity_in(&mut tx, organisation, current.id, None, &activity).await?;
                (current.id, Upserted::Updated)
            }
        };
        let a = read_activity(&mut *tx, id).await?;
        tx.commit().await?;
        Ok((a, what))
    }
}

async fn update_activity_in(
    tx: &mut sqlx::Transaction<'_, Db>,
    organisation: &str,
    id: Uuid,
    expected_version: Option<i64>,
    a: &NewActivity,
) -> Result<(), StoreError> {
    let current: Option<(i64,)> = sqlx::query_as(
        "SELECT version FROM activities WHERE id = $1 AND organisation = $2 AND deleted = $3",
    )
    .bind(id)
    .bind(organisation)
    .bind(false)
    .fetch_optional(&mut **tx)
    .await?;
    let (version,) = current.ok_or(StoreError::NotFound)?;
    if expected_version.is_some_and(|v| v != version) {
        return Err(StoreError::VersionMismatch);
    }
    check_own_provider(tx, organisation, a.provider_id).await?;
    let mut query =
        QueryBuilder::<Db>::new(format!("UPDATE activities SET ({ACTIVITY_CONTENT}) = ("));
    bind_activity(&mut query.separated(", "), a);
    query
        .push("), version = ")
        .push_bind(version + 1)
        .push(", updated_at = ")
        .push_bind(now())
        .push(" WHERE id = ")
        .push_bind(id)
        .push(" AND version = ")
        .push_bind(version);
    let done = query.build().execute(&mut **tx).await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::VersionMismatch);
    }
    Ok(())
}
