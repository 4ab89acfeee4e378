//! Thin handlers: gRPC for the booking service, REST for staff.

pub mod admin;
mod convert;
mod errors;
pub mod grpc_auth;
pub mod grpc_catalog;
pub mod grpc_inventory;
pub mod posters;
