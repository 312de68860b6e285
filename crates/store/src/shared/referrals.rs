use super::rows::{ReferralRow, SELECT_REFERRAL};
use super::*;
use crate::{Created, IdempotencyKey, Page, PageRequest, ReferralFilter};
use socialrx_domain::referral::{NewReferral, Referral, ReferralReference, Status};
use sqlx::types::Json;

#[async_trait]
impl crate::ReferralStore for Store {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn refer(
        &self,
        audit: &AuditContext,
        to: &crate::Recipient,
        referral: NewReferral,
        idempotency: Option<IdempotencyKey>,
    ) -> Result<Created<Referral>, StoreError> {
        create(self, audit, to, referral, idempotency, None).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn get_referral(&self, audit: &AuditContext, id: Uuid) -> Result<Referral, StoreError> {
        get(&self.writer, audit, crate::Reach::Held, id).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_referrals(
        &self,
        audit: &AuditContext,
        filter: &ReferralFilter,
        page: PageRequest,
    ) -> Result<Page<Referral>, StoreError> {
        list(&self.writer, audit, filter, page).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn purge_idempotency_keys(&self, cutoff: OffsetDateTime) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(cutoff)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected())
    }
}

/// How often a freshly drawn reference may clash before we give up (one clash in
/// 78 billion per referral already held; five in a row means something else is wrong).
const REFERENCE_ATTEMPTS: usize = 5;

/// The one way a referral is written, whether it came as our JSON or as FHIR (then
/// with `fhir`, stored in the same transaction).
pub(super) async fn create(
    store: &Store,
    ctx: &AuditContext,
    to: &crate::Recipient,
    new: NewReferral,
    idempotency: Option<IdempotencyKey>,
    fhir: Option<crate::FhirIntake>,
) -> Result<Created<Referral>, StoreError> {
    if GROUP_INTAKE {
        return store
            .intake
            .submit(
                store,
                intake::Job {
                    ctx: ctx.clone(),
                    to: to.clone(),
                    new,
                    idempotency,
                    fhir,
                },
            )
            .await;
    }
    let mut tx = store.writer.begin().await?;
    let created = create_in(&mut tx, ctx, to, new, idempotency, fhir.as_ref()).await?;
    tx.commit().await?;
    Ok(created)
}

/// Writes one referral from `ctx`'s organisation to the service `to` inside `tx`: the
/// person and the referral (held by `to`), its first status, any possible-duplicate
/// flags among `to`'s referrals, the FHIR intake, the audit event (in `to`'s trail),
/// and the idempotency key (the sender's). On an error the caller rolls `tx` back (in
/// a group commit, the group falls back to one transaction per referral).
pub(super) async fn create_in(
    tx: &mut sqlx::Transaction<'_, Db>,
    ctx: &AuditContext,
    recipient: &crate::Recipient,
    new: NewReferral,
    idempotency: Option<IdempotencyKey>,
    fhir: Option<&crate::FhirIntake>,
) -> Result<Created<Referral>, StoreError> {
    let at = now();
    let id = Uuid::now_v7();
    let person_id = Uuid::now_v7();
    let to = recipient.service.as_str();
    // What the receiving service holds is written in its name.
    let holder = AuditContext {
        organisation: to.to_owned(),
        ..ctx.clone()
    };
    if let Some(key) = &idempotency
        && let Some(done) = claim_key(tx, ctx, key, id, at).await?
    {
        return Ok(done);
    }
    // Checked after the key: a retry of an accepted referral is answered as the first
    // was, even if the agreement has ended since.
    if !super::agreements::accepts_in(tx, to, &ctx.organisation, &recipient.issuer).await? {
        return Err(not_accepted(to, &ctx.organisation));
    }
    insert_person(tx, to, person_id, &new.person, at).await?;
    let reference = insert_referral(tx, ctx, to, id, person_id, &new, at).await?;
    let possible_duplicates =
        super::lifecycle::flag_possible_duplicates(tx, &holder, id, &new.person, at).await?;
    insert_first_status(tx, ctx, id, at).await?;
    if let Some(intake) = fhir {
        super::fhir::insert(tx, &holder, id, intake, at).await?;
    }
    audit::append(
        tx,
        &[AuditEvent::new(ctx, "create", "referral", id, Some(person_id)).held_by(to)],
    )
    .await?;
    Ok(Created::New(Referral {
        id,
        organisation: to.to_owned(),
        referrer_organisation: ctx.organisation.clone(),
        reference,
        person_id,
        status: Status::Received,
        created_by: ctx.actor.clone(),
        created_at: at,
        updated_at: at,
        details: new,
        link_worker_id: None,
        possible_duplicates,
    }))
}

/// Claims the idempotency key for referral `id`, or returns what the earlier request
/// with that key made. Claimed first: a concurrent request with the same key waits here
/// (on PostgreSQL, for our commit) and then finds it taken.
async fn claim_key(
    tx: &mut sqlx::Transaction<'_, Db>,
    ctx: &AuditContext,
    key: &IdempotencyKey,
    id: Uuid,
    at: OffsetDateTime,
) -> Result<Option<Created<Referral>>, StoreError> {
    let claimed = sqlx::query(
        "INSERT INTO idempotency_keys (organisation, key, fingerprint, resource_id, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (organisation, key) DO NOTHING",
    )
    .bind(&ctx.organisation)
    .bind(&key.key)
    .bind(&key.fingerprint)
    .bind(id)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    if claimed.rows_affected() == 1 {
        return Ok(None);
    }
    // Taken: by a committed request, or by an earlier one of the same group.
    let (fingerprint, id): (String, Uuid) = sqlx::query_as(
        "SELECT fingerprint, resource_id FROM idempotency_keys \
         WHERE organisation = $1 AND key = $2",
    )
    .bind(&ctx.organisation)
    .bind(&key.key)
    .fetch_one(&mut **tx)
    .await?;
    Ok(Some(Created::AlreadyDone { fingerprint, id }))
}

fn not_accepted(to: &str, from: &str) -> StoreError {
    StoreError::Invalid(vec![socialrx_domain::FieldError::new(
        "receiving_service",
        "not_accepted",
        format!(
            "{to} does not accept referrals from {from}: there is no referral agreement \
             between them (the service's admin adds one with POST /v1/referral-agreements)"
        ),
    )])
}

/// The person, held by the receiving service `to`.
async fn insert_person(
    tx: &mut sqlx::Transaction<'_, Db>,
    to: &str,
    person_id: Uuid,
    p: &socialrx_domain::person::Person,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO people (id, organisation, nhs_number, given_name, family_name, \
         date_of_birth, postcode, phone, email, preferred_contact, language, \
         interpreter_needed, accessibility_needs, registered_practice, created_at, \
         address_lines, pronouns, carer, communication_needs) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
         $17, $18, $19)",
    )
    .bind(person_id)
    .bind(to)
    .bind(p.nhs_number.map(|n| n.as_string()))
    .bind(&p.given_name)
    .bind(&p.family_name)
    .bind(p.date_of_birth)
    .bind(p.postcode.as_str())
    .bind(p.phone.as_ref().map(|x| x.as_str()))
    .bind(p.email.as_ref().map(|x| x.as_str()))
    .bind(p.preferred_contact.as_str())
    .bind(&p.language)
    .bind(p.interpreter_needed)
    .bind(&p.accessibility_needs)
    .bind(p.registered_practice.as_ref().map(|x| x.as_str()))
    .bind(at)
    .bind(super::rows::address_lines_column(&p.address_lines))
    .bind(&p.about_me.pronouns)
    .bind(p.about_me.carer)
    .bind(&p.about_me.communication_needs)
    .execute(&mut **tx)
    .await?;

    Ok(())
}

/// The referral row, under a freshly drawn reference (drawn again on the rare clash).
async fn insert_referral(
    tx: &mut sqlx::Transaction<'_, Db>,
    ctx: &AuditContext,
    to: &str,
    id: Uuid,
    person_id: Uuid,
    new: &NewReferral,
    at: OffsetDateTime,
) -> Result<ReferralReference, StoreError> {
    let reasons: Vec<&str> = new.reasons.iter().map(|r| r.as_str()).collect();
    let extra = &new.particulars;
    for _ in 0..REFERENCE_ATTEMPTS {
        let candidate = ReferralReference::generate();
        let inserted = sqlx::query(
            "INSERT INTO referrals (id, organisation, reference, person_id, source, \
             referrer_ods, referrer_name, referrer_role, reasons, notes, urgency, \
             consent_given_at, consent_method, status, created_by, created_at, updated_at, \
             referrer_organisation, referral_method, reason_text, return_response_to, \
             referrer_contact, information_sharing_agreed, information_sharing_reason) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
             $19, $20, $21, $22, $23, $24) \
             ON CONFLICT (organisation, reference) DO NOTHING",
        )
        .bind(id)
        .bind(to)
        .bind(candidate.as_str())
        .bind(person_id)
        .bind(new.source.as_str())
        .bind(new.referrer.ods_code.as_ref().map(|x| x.as_str()))
        .bind(&new.referrer.name)
        .bind(&new.referrer.role)
        .bind(Json(&reasons))
        .bind(&new.notes)
        .bind(new.urgency.as_str())
        .bind(new.consent.given_at)
        .bind(new.consent.method.as_str())
        .bind(Status::Received.as_str())
        .bind(&ctx.actor)
        .bind(at)
        .bind(at)
        .bind(&ctx.organisation)
        .bind(extra.method.map(|m| m.as_str()))
        .bind(&extra.reason_text)
        .bind(&extra.return_response_to)
        .bind(&extra.referrer_contact)
        .bind(extra.information_sharing.as_ref().map(|s| s.agreed()))
        .bind(extra.information_sharing.as_ref().and_then(|s| s.reason()))
        .execute(&mut **tx)
        .await?;
        if inserted.rows_affected() == 1 {
            return Ok(candidate);
        }
    }
    Err(StoreError::Conflict(
        "could not draw an unused referral reference".into(),
    ))
}

async fn insert_first_status(
    tx: &mut sqlx::Transaction<'_, Db>,
    ctx: &AuditContext,
    id: Uuid,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO referral_status_history (id, referral_id, from_status, to_status, \
         reason, note, actor, at) VALUES ($1, $2, NULL, $3, NULL, NULL, $4, $5)",
    )
    .bind(Uuid::now_v7())
    .bind(id)
    .bind(Status::Received.as_str())
    .bind(&ctx.actor)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// One referral within `reach` of the caller's organisation, audited as `read` in
/// the trail of the service holding it.
pub(super) async fn get(
    pool: &sqlx::Pool<Db>,
    ctx: &AuditContext,
    reach: crate::Reach,
    id: Uuid,
) -> Result<Referral, StoreError> {
    let mut tx = pool.begin().await?;
    let mut query = QueryBuilder::<Db>::new(SELECT_REFERRAL);
    query.push(" WHERE r.id = ").push_bind(id).push(" AND ");
    super::outcomes::push_reach(&mut query, reach, &ctx.organisation);
    let row: Option<ReferralRow> = query.build_query_as().fetch_optional(&mut *tx).await?;
    let mut referral = Referral::try_from(row.ok_or(StoreError::NotFound)?)?;
    // Possible duplicates name the service's other referrals: its own staff's business.
    if referral.organisation == ctx.organisation {
        referral.possible_duplicates = super::lifecycle::flags_for(&mut tx, ctx, &[id])
            .await?
            .remove(&id)
            .unwrap_or_default();
    }
    audit::append(
        &mut tx,
        &[
            AuditEvent::new(ctx, "read", "referral", id, Some(referral.person_id))
                .held_by(&referral.organisation),
        ],
    )
    .await?;
    tx.commit().await?;
    Ok(referral)
}

async fn list(
    pool: &sqlx::Pool<Db>,
    ctx: &AuditContext,
    filter: &ReferralFilter,
    page: PageRequest,
) -> Result<Page<Referral>, StoreError> {
    let mut query = QueryBuilder::<Db>::new(SELECT_REFERRAL);
    query.push(" WHERE r.organisation = ");
    query.push_bind(&ctx.organisation);
    if let Some(status) = filter.status {
        query.push(" AND r.status = ").push_bind(status.as_str());
    }
    if let Some(source) = filter.source {
        query.push(" AND r.source = ").push_bind(source.as_str());
    }
    if let Some(after) = page.after {
        query.push(" AND r.id < ").push_bind(after);
    }
    // One extra row tells whether another page exists.
    query
        .push(" ORDER BY r.id DESC LIMIT ")
        .push_bind(i64::from(page.limit) + 1);

    let mut tx = pool.begin().await?;
    let rows: Vec<ReferralRow> = query.build_query_as().fetch_all(&mut *tx).await?;
    let more = rows.len() > page.limit as usize;
    let mut items = rows
        .into_iter()
        .take(page.limit as usize)
        .map(Referral::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    let ids: Vec<Uuid> = items.iter().map(|r| r.id).collect();
    let mut flags = super::lifecycle::flags_for(&mut tx, ctx, &ids).await?;
    for r in &mut items {
        r.possible_duplicates = flags.remove(&r.id).unwrap_or_default();
    }
    audit::append(
        &mut tx,
        &audit::listing(ctx, items.iter().map(|r| (r.id, r.person_id))),
    )
    .await?;
    tx.commit().await?;
    let next = if more {
        items.last().map(|r| r.id)
    } else {
        None
    };
    Ok(Page { items, next })
}
