mod read_audit {
    use std::sync::{Arc, Mutex, MutexGuard};

    use super::*;
    use tokio::sync::oneshot;

    /// Group commit for the audit events of hot reads (the caseload).
    ///
    /// A read that returns personal data must not answer before its audit events are
    /// durable, and a failure to write them fails the read. Writing them in a transaction of
    /// their own per request serialises every reader on the one SQLite writer (one fsync
    /// each) and costs PostgreSQL a commit per read. Here concurrent readers hand their
    /// events to one drain task, which writes everything pending in one transaction on the
    /// writer and then releases every reader whose events it committed. The read itself runs
    /// on the reader pool, before; only the audit write is shared.
    #[derive(Clone, Default)]
    pub struct ReadAudit(Arc<Mutex<Queue>>);

    #[derive(Default)]
    struct Queue {
        events: Vec<AuditEvent>,
        waiting: Vec<oneshot::Sender<Result<(), Failure>>>,
        draining: bool,
    }

    /// A store error that can be handed to every reader of a batch.
    #[derive(Clone)]
    enum Failure {
        Unavailable(String),
        Other(String),
    }

    impl From<StoreError> for Failure {
        fn from(e: StoreError) -> Self {
            match e {
                StoreError::Unavailable(m) => Failure::Unavailable(m),
                other => Failure::Other(other.to_string()),
            }
        }
    }

    impl From<Failure> for StoreError {
        fn from(f: Failure) -> Self {
            match f {
                Failure::Unavailable(m) => StoreError::Unavailable(m),
                Failure::Other(m) => StoreError::Other(m),
            }
        }
    }

    /// Rows per INSERT. Small and fixed, so that the few statement shapes stay in the
    /// drivers' prepared-statement caches (a batch of any size as one statement would be
    /// parsed afresh every time).
    const CHUNK: usize = 32;

    fn lock(queue: &Mutex<Queue>) -> MutexGuard<'_, Queue> {
        queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    impl ReadAudit {
        /// Returns once `events` are committed (with whatever else was pending).
        pub(super) async fn append(
            &self,
            writer: &sqlx::Pool<Db>,
            events: Vec<AuditEvent>,
        ) -> Result<(), StoreError> {
            if events.is_empty() {
                return Ok(());
            }
            let (done, committed) = oneshot::channel();
            let start = {
                let mut q = lock(&self.0);
                q.events.extend(events);
                q.waiting.push(done);
                !std::mem::replace(&mut q.draining, true)
            };
            if start {
                // A task of its own: a reader whose client goes away (and whose future is
                // dropped) must not strand the others.
                tokio::spawn(drain(self.0.clone(), writer.clone()));
            }
            match committed.await {
                Ok(result) => result.map_err(StoreError::from),
                Err(_) => Err(StoreError::Other("the audit writer stopped".into())),
            }
        }
    }

    /// Resets the queue if the drain task panics, so that later reads start a new one
    /// (the readers it held see their channel closed and fail).
    struct PanicGuard(Arc<Mutex<Queue>>);

    impl Drop for PanicGuard {
        fn drop(&mut self) {
            if std::thread::panicking() {
                let mut q = lock(&self.0);
                q.draining = false;
                q.events.clear();
                q.waiting.clear();
            }
        }
    }

    async fn drain(queue: Arc<Mutex<Queue>>, writer: sqlx::Pool<Db>) {
        let _guard = PanicGuard(queue.clone());
        loop {
            let (events, waiting) = {
                let mut q = lock(&queue);
                if q.waiting.is_empty() {
                    q.draining = false;
                    return;
                }
                (std::mem::take(&mut q.events), std::mem::take(&mut q.waiting))
            };
            let result = write(&writer, &events).await.map_err(Failure::from);
            for reader in waiting {
                let _ = reader.send(result.clone());
            }
        }
    }

    async fn write(writer: &sqlx::Pool<Db>, events: &[AuditEvent]) -> Result<(), StoreError> {
        let mut tx = writer.begin().await?;
        for chunk in events.chunks(CHUNK) {
            audit::append(&mut tx, chunk).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
