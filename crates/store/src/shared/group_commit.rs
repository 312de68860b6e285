use std::sync::{Arc, Mutex, MutexGuard};

use super::*;
use tokio::sync::oneshot;

/// Group commit on the writer: concurrent requests hand their work to one drain task,
/// which runs everything pending in one transaction and commits once.
///
/// Used where one transaction per request would make every request wait in turn for
/// its own commit on the one writer: referral intake on SQLite (one fsync for a busy
/// moment instead of one each) and the audit events of hot reads on both backends (a
/// commit per caseload read costs PostgreSQL a WAL flush and SQLite an fsync).
///
/// Nobody is answered before the commit: an answer still means durable, and a failed
/// commit fails every job of the group (none of it was written). A job that fails
/// inside the transaction (a rule the database checks, a clash) rolls the group back,
/// and each job then runs again in a transaction of its own, so that it alone gets
/// its error (see `write`). The drain runs on the runtime the store was opened on (see
/// `Store::connect`), which outlives the HTTP workers during a graceful shutdown.
pub struct GroupCommit<J: Job>(Arc<Mutex<Queue<J>>>);

impl<J: Job> Default for GroupCommit<J> {
    fn default() -> Self {
        Self(Arc::new(Mutex::new(Queue {
            jobs: Vec::new(),
            draining: false,
        })))
    }
}

/// Work that runs inside a group's transaction.
#[async_trait]
pub(crate) trait Job: Send + Sync + 'static {
    type Answer: Send + 'static;

    /// Does the job's writes (and reads) in `tx`. Audit events pushed to `audit` are
    /// written with the group's, a few statements for the whole group.
    async fn run(
        &self,
        tx: &mut sqlx::Transaction<'static, Db>,
        audit: &mut Vec<AuditEvent>,
    ) -> Result<Self::Answer, StoreError>;
}

type Answer<J> = Result<<J as Job>::Answer, StoreError>;

struct Queue<J: Job> {
    jobs: Vec<(J, oneshot::Sender<Answer<J>>)>,
    draining: bool,
}

/// Jobs per transaction at most: enough to spread one commit over a busy moment, few
/// enough that the first of them does not wait long for the last.
const GROUP: usize = 64;

/// Audit rows per INSERT. Small and fixed, so that the few statement shapes stay in the
/// drivers' prepared-statement caches (a batch of any size as one statement would be
/// parsed afresh every time).
const AUDIT_CHUNK: usize = 32;

fn lock<J: Job>(queue: &Mutex<Queue<J>>) -> MutexGuard<'_, Queue<J>> {
    queue.lock().unwrap_or_else(|p| p.into_inner())
}

impl<J: Job> GroupCommit<J> {
    /// Returns once the job is committed (or refused).
    pub(super) async fn submit(&self, store: &Store, job: J) -> Answer<J> {
        let (done, answer) = oneshot::channel();
        let start = {
            let mut q = lock(&self.0);
            q.jobs.push((job, done));
            !std::mem::replace(&mut q.draining, true)
        };
        if start {
            // A task of its own: a client that goes away (its future dropped) must not
            // strand the others.
            store
                .runtime
                .spawn(drain(self.0.clone(), store.writer.clone()));
        }
        answer
            .await
            .unwrap_or_else(|_| Err(StoreError::WriterStopped))
    }
}

/// Resets the queue if the drain task panics, so that later requests start a new one
/// (the requests it held see their channel closed and fail).
struct PanicGuard<J: Job>(Arc<Mutex<Queue<J>>>);

impl<J: Job> Drop for PanicGuard<J> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let mut q = lock(&self.0);
            q.draining = false;
            q.jobs.clear();
        }
    }
}

async fn drain<J: Job>(queue: Arc<Mutex<Queue<J>>>, writer: sqlx::Pool<Db>) {
    let _guard = PanicGuard(queue.clone());
    loop {
        let group: Vec<(J, oneshot::Sender<Answer<J>>)> = {
            let mut q = lock(&queue);
            if q.jobs.is_empty() {
                q.draining = false;
                return;
            }
            let take = q.jobs.len().min(GROUP);
            q.jobs.drain(..take).collect()
        };
        let (jobs, waiting): (Vec<J>, Vec<oneshot::Sender<Answer<J>>>) = group.into_iter().unzip();
        match write(&writer, &jobs).await {
            Ok(answers) => {
                for (job, answer) in waiting.into_iter().zip(answers) {
                    let _ = job.send(answer);
                }
            }
            Err(e) => {
                // An outage stays an outage for every caller (503, worth a retry);
                // anything else keeps its cause, shared, for each caller's log.
                let shared = match e {
                    StoreError::Unavailable(message) => Err(message),
                    other => Ok(Arc::new(other)),
                };
                for job in waiting {
                    let _ = job.send(Err(match &shared {
                        Err(message) => StoreError::Unavailable(message.clone()),
                        Ok(cause) => StoreError::Group(cause.clone()),
                    }));
                }
            }
        }
    }
}

/// One transaction for the group; `Err` only when the group as a whole failed.
///
/// Optimistic: the jobs run one after another with no savepoints (two statements fewer
/// each, on the one writer every job waits for). Refusals here are rare (the rules were
/// checked before); when one comes, the group is rolled back and each job runs again in
/// a transaction of its own.
async fn write<J: Job>(writer: &sqlx::Pool<Db>, jobs: &[J]) -> Result<Vec<Answer<J>>, StoreError> {
    let mut tx = writer.begin().await?;
    let mut audit = Vec::new();
    let mut answers = Vec::with_capacity(jobs.len());
    for job in jobs {
        match job.run(&mut tx, &mut audit).await {
            Ok(answer) => answers.push(Ok(answer)),
            Err(_) => {
                tx.rollback().await?;
                return Ok(one_by_one(writer, jobs).await);
            }
        }
    }
    commit(tx, &audit).await?;
    Ok(answers)
}

async fn one_by_one<J: Job>(writer: &sqlx::Pool<Db>, jobs: &[J]) -> Vec<Answer<J>> {
    let mut answers = Vec::with_capacity(jobs.len());
    for job in jobs {
        answers.push(alone(writer, job).await);
    }
    answers
}

async fn alone<J: Job>(writer: &sqlx::Pool<Db>, job: &J) -> Answer<J> {
    let mut tx = writer.begin().await?;
    let mut audit = Vec::new();
    match job.run(&mut tx, &mut audit).await {
        Ok(answer) => {
            commit(tx, &audit).await?;
            Ok(answer)
        }
        Err(e) => {
            tx.rollback().await?;
            Err(e)
        }
    }
}

async fn commit(
    mut tx: sqlx::Transaction<'static, Db>,
    audit: &[AuditEvent],
) -> Result<(), StoreError> {
    for chunk in audit.chunks(AUDIT_CHUNK) {
        audit::append(&mut tx, chunk).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Audit events alone, for a read done elsewhere (on the reader pool).
pub(crate) struct Audit(pub Vec<AuditEvent>);

#[async_trait]
impl Job for Audit {
    type Answer = ();

    async fn run(
        &self,
        _tx: &mut sqlx::Transaction<'static, Db>,
        audit: &mut Vec<AuditEvent>,
    ) -> Result<(), StoreError> {
        audit.extend(self.0.iter().cloned());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ConnectOptions;
    use crate::testing::TestDatabase;

    /// A job that writes its audit event, or fails in the database.
    struct Probe {
        ctx: AuditContext,
        id: Uuid,
        fail: bool,
    }

    #[async_trait]
    impl Job for Probe {
        type Answer = Uuid;

        async fn run(
            &self,
            tx: &mut sqlx::Transaction<'static, Db>,
            audit: &mut Vec<AuditEvent>,
        ) -> Result<Uuid, StoreError> {
            if self.fail {
                // A real refusal: on PostgreSQL it also aborts the transaction.
                sqlx::query("INSERT INTO no_such_table VALUES (1)")
                    .execute(&mut **tx)
                    .await?;
            }
            audit.push(AuditEvent::new(&self.ctx, "probe", "probe", self.id, None));
            Ok(self.id)
        }
    }

    /// The fallback path: one job of a group is refused inside the shared transaction;
    /// it alone gets the error, and every other job of the group is still committed.
    #[tokio::test]
    async fn a_refused_job_fails_alone_and_the_rest_of_its_group_is_written() {
        crate::testing::require_postgres_in_ci();
        let db = TestDatabase::create().await;
        if db.is_postgres() != (BACKEND == "postgres") {
            // This file is compiled once per backend; the other copy runs the test.
            return;
        }
        let store = Store::connect(&db.url, &ConnectOptions::default())
            .await
            .unwrap();
        let group: GroupCommit<Probe> = GroupCommit::default();
        let ctx = AuditContext {
            organisation: "Y02794".into(),
            actor: "group-commit-test".into(),
            client_ip: None,
            request_id: None,
        };
        let jobs: Vec<Probe> = (0..10)
            .map(|i| Probe {
                ctx: ctx.clone(),
                id: Uuid::now_v7(),
                fail: i == 4,
            })
            .collect();
        let ids: Vec<(Uuid, bool)> = jobs.iter().map(|j| (j.id, j.fail)).collect();
        // All submitted before the drain first runs (a current-thread runtime), so that
        // they form one group and the refusal rolls that group back.
        let answers =
            futures::future::join_all(jobs.into_iter().map(|j| group.submit(&store, j))).await;

        for ((id, fail), answer) in ids.iter().zip(&answers) {
            match answer {
                Ok(answered) => {
                    assert!(!fail, "the refused job was answered as written");
                    assert_eq!(answered, id);
                }
                Err(e) => assert!(fail, "job {id} failed with its group: {e}"),
            }
        }
        let written: Vec<Uuid> = sqlx::query_scalar(
            "SELECT resource_id FROM audit_events WHERE action = 'probe' ORDER BY resource_id",
        )
        .fetch_all(&store.reader)
        .await
        .unwrap();
        let expected: Vec<Uuid> = ids.iter().filter(|(_, f)| !f).map(|(id, _)| *id).collect();
        assert_eq!(
            written, expected,
            "every job but the refused one is written, once"
        );
        drop(store);
        db.drop_database().await;
    }
}
