//! The end-to-end harness: the real `boxoffice` binary, either as six processes on PostgreSQL,
//! RabbitMQ and Redis, or as one `boxoffice all` process on SQLite, driven only through the
//! gateway, with a real SMTP sink catching the emails.
#![allow(dead_code)]

pub mod cluster;
pub mod journey;
pub mod otlp;
pub mod ws;
