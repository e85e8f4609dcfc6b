//! Key work items and livelihood projects: one table, one query layer, two collections.

pub mod read;
pub mod write;
