//! formwork's job queue: work done in the background, kept in the database. This crate is the
//! generic queue — what a job is ([`Job`]), which jobs a worker knows ([`Registry`]), recurring
//! slots ([`Schedule`]) and the [`Worker`] — and knows no job itself: job bodies live above the
//! service (`formwork_service::jobs`), where they can use its rules, the object store and the mailer.
//!
//! A job is a row enqueued in the same transaction as the change that needs it ([`enqueue`]), so it
//! exists exactly when the change does. A worker claims one due job at a time under a lease and
//! renews the lease while the job runs (a heartbeat), so a job of any length keeps it, and a dead
//! worker's job is taken over once its lease ends. A failure is retried with backoff until the
//! job's attempts are used up, then kept for administrators to see and retry. Jobs run at least
//! once, so every job is written to be safe to run twice.

mod job;
mod registry;
mod schedule;
mod worker;

pub use job::{BoxError, Job, JobError, Retry, enqueue};
pub use registry::Registry;
pub use schedule::Schedule;
pub use worker::Worker;
