mod audit {
    use super::*;

    /// Appends audit events inside the caller's transaction, in one statement.
    pub(super) async fn append(
        tx: &mut sqlx::Transaction<'_, Db>,
        events: &[AuditEvent],
    ) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let mut insert = QueryBuilder::<Db>::new(
            "INSERT INTO audit_events (id, organisation, actor, action, resource_type, \
             resource_id, person_id, at, client_ip, request_id) ",
        );
        insert.push_values(events, |mut row, e| {
            row.push_bind(e.id)
                .push_bind(&e.organisation)
                .push_bind(&e.actor)
                .push_bind(e.action)
                .push_bind(e.resource_type)
                .push_bind(e.resource_id)
                .push_bind(e.person_id)
                .push_bind(e.at)
                .push_bind(&e.client_ip)
                .push_bind(&e.request_id);
        });
        insert.build().execute(&mut **tx).await?;
        Ok(())
    }
}
