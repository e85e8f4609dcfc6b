//! How results become responses: problems, tagged resources, lists in several representations.

pub mod csv;
pub mod html;
pub mod list;
pub mod problem;
pub mod resource;
