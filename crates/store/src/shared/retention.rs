use super::*;
use crate::RetentionReport;
use socialrx_domain::Postcode;
use socialrx_domain::person::anonymised;

/// People due for anonymisation: not yet done, with referrals, all of them closed or
/// declined and not touched since the cut-off.
const DUE: &str = "SELECT p.id, p.organisation, p.postcode, p.date_of_birth FROM people p \
    WHERE p.anonymised_at IS NULL \
    AND EXISTS (SELECT 1 FROM referrals r WHERE r.person_id = p.id) \
    AND NOT EXISTS (SELECT 1 FROM referrals r WHERE r.person_id = p.id \
        AND (r.status NOT IN ('closed', 'declined') OR r.updated_at >= $1)) \
    ORDER BY p.id";

/// Every free-text column of a person's case record, blanked per person (`$1`).
const FREE_TEXT: &[&str] = &[
    "UPDATE referral_status_history SET note = NULL WHERE referral_id IN \
     (SELECT id FROM referrals WHERE person_id = $1)",
    "UPDATE referral_assignments SET note = NULL WHERE referral_id IN \
     (SELECT id FROM referrals WHERE person_id = $1)",
    // Who else was present names people; outcome and location type are codes.
    "UPDATE contacts SET notes = NULL, present = NULL WHERE referral_id IN \
     (SELECT id FROM referrals WHERE person_id = $1)",
    // Steps go whole (their `who` with them); agreement and review date are kept.
    "UPDATE plan_revisions SET what_matters_to_me = NULL, goals = '[]', steps = '[]', \
     strengths = '[]', review_by = NULL \
     WHERE referral_id IN (SELECT id FROM referrals WHERE person_id = $1)",
    "UPDATE connections SET note = NULL WHERE referral_id IN \
     (SELECT id FROM referrals WHERE person_id = $1)",
    // The FHIR request as sent may carry free text; its codes stay in `codings`.
    "UPDATE fhir_referrals SET requested = NULL WHERE referral_id IN \
     (SELECT id FROM referrals WHERE person_id = $1)",
    "UPDATE connection_status_history SET note = NULL WHERE connection_id IN \
     (SELECT c.id FROM connections c JOIN referrals r ON r.id = c.referral_id \
      WHERE r.person_id = $1)",
    // The message back is all free text; risks and concerns keep nothing without it
    // that a retained record needs.
    "UPDATE referral_message_back SET summary = NULL, actions_for_professionals = NULL, \
     actions_for_person = NULL WHERE referral_id IN \
     (SELECT id FROM referrals WHERE person_id = $1)",
    "DELETE FROM referral_risks WHERE referral_id IN \
     (SELECT id FROM referrals WHERE person_id = $1)",
];

#[async_trait]
impl crate::RetentionStore for Store {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn anonymise_people(
        &self,
        closed_before: OffsetDateTime,
        dry_run: bool,
    ) -> Result<RetentionReport, StoreError> {
        let mut tx = self.writer.begin().await?;
        let due: Vec<(Uuid, String, String, time::Date)> = sqlx::query_as(DUE)
            .bind(closed_before)
            .fetch_all(&mut *tx)
            .await?;
        let mut report = RetentionReport::default();
        let at = now();
        for (person_id, organisation, postcode, dob) in due {
            let referrals: Vec<(Uuid,)> =
                sqlx::query_as("SELECT id FROM referrals WHERE person_id = $1")
                    .bind(person_id)
                    .fetch_all(&mut *tx)
                    .await?;
            report.people += 1;
            report.referrals += referrals.len() as u64;
            if dry_run {
                continue;
            }
            let district = Postcode::parse(&postcode)
                .ok()
                .map(|p| p.outward().to_owned());
            sqlx::query(
                "UPDATE people SET nhs_number = NULL, given_name = $2, family_name = $2, \
                 phone = NULL, email = NULL, accessibility_needs = NULL, address_lines = NULL, \
                 postcode = $3, \
                 postcode_district = $4, date_of_birth = $5, anonymised_at = $6 WHERE id = $1",
            )
            .bind(person_id)
            .bind(anonymised::NAME)
            .bind(anonymised::POSTCODE)
            .bind(district)
            .bind(anonymised::date_of_birth(dob))
            .bind(at)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE referrals SET notes = NULL WHERE person_id = $1")
                .bind(person_id)
                .execute(&mut *tx)
                .await?;
            // Free text about the person wherever the case record keeps it.
            for statement in FREE_TEXT {
                sqlx::query(*statement)
                    .bind(person_id)
                    .execute(&mut *tx)
                    .await?;
            }
            let ctx = AuditContext {
                organisation,
                actor: "socialrx-retention".into(),
                client_ip: None,
                request_id: None,
            };
            audit::append(
                &mut tx,
                &[AuditEvent::new(
                    &ctx,
                    "anonymise",
                    "person",
                    person_id,
                    Some(person_id),
                )],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(report)
    }
}
