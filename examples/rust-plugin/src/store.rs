//! Scheduled jobs (at most one per task) and the scheduler thread.

use crate::cron::{CivilTime, CronSpec};
use crate::tasks::Prepared;
use serde_json::{json, Map, Value};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub struct Job {
    pub id: String,
    pub task: String,
    pub cron: String,
    pub user_id: Option<String>,
    pub group_id: Option<String>,
    pub spec: CronSpec,
    pub work: Prepared,
    /// Changes whenever the job is replaced, so that a run that finishes
    /// after a replacement records nothing.
    generation: u64,
    pub runs: u64,
    pub last_result: Option<Value>,
}

impl Job {
    pub fn new(
        task: &str,
        cron: &str,
        user_id: Option<String>,
        group_id: Option<String>,
        spec: CronSpec,
        work: Prepared,
    ) -> Job {
        Job {
            id: String::new(),
            task: task.to_string(),
            cron: cron.to_string(),
            user_id,
            group_id,
            spec,
            work,
            generation: 0,
            runs: 0,
            last_result: None,
        }
    }

    /// How GET /jobs shows the job.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("job_id".into(), json!(self.id));
        m.insert("task".into(), json!(self.task));
        m.insert("cron".into(), json!(self.cron));
        if let Some(u) = self.user_id.as_deref().filter(|s| !s.is_empty()) {
            m.insert("user_id".into(), json!(u));
        }
        if let Some(g) = self.group_id.as_deref().filter(|s| !s.is_empty()) {
            m.insert("group_id".into(), json!(g));
        }
        m.insert("runs".into(), json!(self.runs));
        if let Some(r) = &self.last_result {
            m.insert("last_result".into(), r.clone());
        }
        Value::Object(m)
    }
}

#[derive(Default)]
struct Inner {
    /// In the order the jobs were first scheduled.
    jobs: Vec<Job>,
    generation: u64,
}

/// The jobs, and what the scheduler thread waits on.
#[derive(Default)]
pub struct Store {
    inner: Mutex<Inner>,
    stopping: Mutex<bool>,
    wake: Condvar,
}

/// A fresh random id: prefix + 16 hex digits.
pub fn new_id(prefix: &str) -> String {
    use std::io::Read;
    let mut b = [0u8; 8];
    let ok = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .is_ok();
    if !ok {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos(),
        );
        b = h.finish().to_be_bytes();
    }
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{prefix}{hex}")
}

impl Store {
    pub fn new() -> Store {
        Store::default()
    }

    /// Adds a job for `job.task` and returns its job_id. If that task already
    /// has a schedule it is replaced in place: same job_id and place in the
    /// list, new cron, ids and input, run count and last result reset.
    pub fn schedule(&self, mut job: Job) -> String {
        let mut inner = self.inner.lock().unwrap();
        inner.generation += 1;
        job.generation = inner.generation;
        if let Some(old) = inner.jobs.iter_mut().find(|j| j.task == job.task) {
            job.id = old.id.clone();
            *old = job;
            return old.id.clone();
        }
        job.id = new_id("job-");
        let id = job.id.clone();
        inner.jobs.push(job);
        id
    }

    /// Removes a job; false if there is none with that id.
    pub fn delete(&self, id: &str) -> bool {
        let mut inner = self.inner.lock().unwrap();
        let before = inner.jobs.len();
        inner.jobs.retain(|j| j.id != id);
        inner.jobs.len() != before
    }

    pub fn list(&self) -> Value {
        let inner = self.inner.lock().unwrap();
        Value::Array(inner.jobs.iter().map(Job::to_json).collect())
    }

    /// Runs every job whose schedule selects the minute `t`, records the
    /// results and returns how many ran.
    pub fn tick(&self, t: &CivilTime) -> usize {
        let due: Vec<(String, u64, String, String, Prepared)> = {
            let inner = self.inner.lock().unwrap();
            inner
                .jobs
                .iter()
                .filter(|j| j.spec.matches(t))
                .map(|j| {
                    (
                        j.id.clone(),
                        j.generation,
                        j.task.clone(),
                        j.cron.clone(),
                        j.work.clone(),
                    )
                })
                .collect()
        };
        for (id, generation, task, cron, work) in &due {
            let result = work.run();
            let mut inner = self.inner.lock().unwrap();
            // a job replaced or deleted while it ran keeps nothing
            if let Some(j) = inner
                .jobs
                .iter_mut()
                .find(|j| &j.id == id && j.generation == *generation)
            {
                j.runs += 1;
                j.last_result = Some(result);
            }
            drop(inner);
            eprintln!(
                "cronyx-rust-plugin: ran {id} (task {task}, cron {})",
                serde_json::Value::String(cron.clone())
            );
        }
        due.len()
    }

    /// The scheduler loop: wakes at every minute boundary and runs the jobs
    /// due in that minute, matched in UTC (as Cascadence's cronyx backend
    /// expects), until [`Store::stop`].
    pub fn run_scheduler(&self) {
        loop {
            let now = unix_now();
            let next = (now.div_euclid(60) + 1) * 60;
            // wait until the boundary, or until told to stop
            let mut stopping = self.stopping.lock().unwrap();
            loop {
                if *stopping {
                    return;
                }
                let now_ms = unix_now_ms();
                if now_ms >= next * 1000 {
                    break;
                }
                let wait = Duration::from_millis((next * 1000 - now_ms) as u64);
                stopping = self.wake.wait_timeout(stopping, wait).unwrap().0;
            }
            drop(stopping);
            self.tick(&CivilTime::utc(next));
        }
    }

    pub fn stop(&self) {
        *self.stopping.lock().unwrap() = true;
        self.wake.notify_all();
    }
}

fn unix_now() -> i64 {
    unix_now_ms().div_euclid(1000)
}

fn unix_now_ms() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_millis() as i64,
        Err(e) => -(e.duration().as_millis() as i64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cron::{at, parse_cron};

    #[test]
    fn schedule_tick_replace_delete() {
        let s = Store::new();
        let job = |cron: &str, user: Option<&str>, n: u32| {
            Job::new(
                "fib",
                cron,
                user.map(String::from),
                None,
                parse_cron(cron).unwrap(),
                Prepared::Fib(n),
            )
        };
        let id = s.schedule(job("* * * * *", Some("u1"), 10));
        assert!(id.starts_with("job-") && id.len() == 20, "{id}");
        assert_eq!(s.tick(&at("2024-05-17 10:01")), 1);
        s.tick(&at("2024-05-17 10:02"));
        assert_eq!(
            s.list(),
            json!([{"job_id": id, "task": "fib", "cron": "* * * * *", "user_id": "u1", "runs": 2, "last_result": {"n": 10, "value": 55}}])
        );

        // replacing keeps the id and restarts the counters
        assert_eq!(s.schedule(job("0 * * * *", None, 12)), id);
        assert_eq!(
            s.list(),
            json!([{"job_id": id, "task": "fib", "cron": "0 * * * *", "runs": 0}])
        );
        assert_eq!(s.tick(&at("2024-05-17 10:03")), 0);
        assert_eq!(s.tick(&at("2024-05-17 11:00")), 1);
        assert_eq!(s.list()[0]["last_result"], json!({"n": 12, "value": 144}));

        assert!(!s.delete("job-nope"));
        assert!(s.delete(&id));
        assert_eq!(s.list(), json!([]));
        assert_eq!(s.tick(&at("2024-05-17 12:00")), 0);
    }

    #[test]
    fn scheduler_stops() {
        let s = std::sync::Arc::new(Store::new());
        let s2 = s.clone();
        let t = std::thread::spawn(move || s2.run_scheduler());
        std::thread::sleep(Duration::from_millis(50));
        s.stop();
        t.join().unwrap();
    }
}
