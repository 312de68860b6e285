mod intake {
    use std::sync::{Arc, Mutex, MutexGuard};

    use super::*;
    use crate::{Created, FhirIntake, IdempotencyKey};
    use socialrx_domain::referral::{NewReferral, Referral};
    use tokio::sync::oneshot;

    /// Group commit for referral intake, where the database has one writer (SQLite).
    ///
    /// One transaction per referral makes every request wait for its own fsync in turn on
    /// the one writer connection. Here concurrent requests hand their referral to one drain
    /// task, which writes everything pending in one transaction and commits once. A
    /// referral that fails (a rule the database checks, a clash) is answered with its own
    /// error and the others are still written (see `write`). Nobody is answered before the
    /// commit: a 201 still means durable, and a failed commit fails every referral of the
    /// group (none of them was written).
    #[derive(Clone, Default)]
    pub struct Intake(Arc<Mutex<Queue>>);

    pub(super) struct Job {
        pub ctx: AuditContext,
        pub new: NewReferral,
        pub idempotency: Option<IdempotencyKey>,
        pub fhir: Option<FhirIntake>,
    }

    type Answer = Result<Created<Referral>, StoreError>;

    #[derive(Default)]
    struct Queue {
        jobs: Vec<(Job, oneshot::Sender<Answer>)>,
        draining: bool,
    }

    /// Referrals per transaction at most: enough to spread one fsync over a busy moment,
    /// few enough that the first of them does not wait long for the last.
    const GROUP: usize = 64;

    fn lock(queue: &Mutex<Queue>) -> MutexGuard<'_, Queue> {
        queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    impl Intake {
        /// Returns once the referral is committed (or refused).
        pub(super) async fn submit(&self, writer: &sqlx::Pool<Db>, job: Job) -> Answer {
            let (done, answer) = oneshot::channel();
            let start = {
                let mut q = lock(&self.0);
                q.jobs.push((job, done));
                !std::mem::replace(&mut q.draining, true)
            };
            if start {
                // A task of its own: a client that goes away (its future dropped) must not
                // strand the others.
                tokio::spawn(drain(self.0.clone(), writer.clone()));
            }
            answer
                .await
                .unwrap_or_else(|_| Err(StoreError::Other("the intake writer stopped".into())))
        }
    }

    /// Resets the queue if the drain task panics, so that later requests start a new one
    /// (the requests it held see their channel closed and fail).
    struct PanicGuard(Arc<Mutex<Queue>>);

    impl Drop for PanicGuard {
        fn drop(&mut self) {
            if std::thread::panicking() {
                let mut q = lock(&self.0);
                q.draining = false;
                q.jobs.clear();
            }
        }
    }

    async fn drain(queue: Arc<Mutex<Queue>>, writer: sqlx::Pool<Db>) {
        let _guard = PanicGuard(queue.clone());
        loop {
            let group: Vec<(Job, oneshot::Sender<Answer>)> = {
                let mut q = lock(&queue);
                if q.jobs.is_empty() {
                    q.draining = false;
                    return;
                }
                let take = q.jobs.len().min(GROUP);
                q.jobs.drain(..take).collect()
            };
            let (jobs, waiting): (Vec<Job>, Vec<oneshot::Sender<Answer>>) =
                group.into_iter().unzip();
            match write(&writer, jobs).await {
                Ok(answers) => {
                    for (reader, answer) in waiting.into_iter().zip(answers) {
                        let _ = reader.send(answer);
                    }
                }
                Err(e) => {
                    let message = e.to_string();
                    let unavailable = matches!(e, StoreError::Unavailable(_));
                    for reader in waiting {
                        let _ = reader.send(Err(if unavailable {
                            StoreError::Unavailable(message.clone())
                        } else {
                            StoreError::Other(message.clone())
                        }));
                    }
                }
            }
        }
    }

    /// One transaction for the group; `Err` only when the group as a whole failed.
    ///
    /// Optimistic: the referrals are written one after another with no savepoints (two
    /// statements fewer each, on the one writer every referral waits for). Refusals at this
    /// point are rare (the rules were checked before); when one comes, the group is rolled
    /// back and each referral is written again in a transaction of its own, so that it
    /// alone gets the error and the others are still written.
    async fn write(writer: &sqlx::Pool<Db>, jobs: Vec<Job>) -> Result<Vec<Answer>, StoreError> {
        let mut tx = writer.begin().await?;
        let mut answers = Vec::with_capacity(jobs.len());
        for job in &jobs {
            match create(&mut tx, job).await {
                Ok(created) => answers.push(Ok(created)),
                Err(_) => {
                    tx.rollback().await?;
                    return Ok(one_by_one(writer, &jobs).await);
                }
            }
        }
        tx.commit().await?;
        Ok(answers)
    }

    async fn one_by_one(writer: &sqlx::Pool<Db>, jobs: &[Job]) -> Vec<Answer> {
        let mut answers = Vec::with_capacity(jobs.len());
        for job in jobs {
            answers.push(alone(writer, job).await);
        }
        answers
    }

    async fn alone(writer: &sqlx::Pool<Db>, job: &Job) -> Answer {
        let mut tx = writer.begin().await?;
        match create(&mut tx, job).await {
            Ok(created) => {
                tx.commit().await?;
                Ok(created)
            }
            Err(e) => {
                tx.rollback().await?;
                Err(e)
            }
        }
    }

    async fn create(tx: &mut sqlx::Transaction<'_, Db>, job: &Job) -> Answer {
        super::referrals::create_in(
            tx,
            &job.ctx,
            job.new.clone(),
            job.idempotency.clone(),
            job.fhir.as_ref(),
        )
        .await
    }
}
