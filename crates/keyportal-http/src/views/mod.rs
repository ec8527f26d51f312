//! JSON shapes of the ArcGIS Sharing API, built from service results.

pub mod app;
pub mod group;
pub mod item;
pub mod portal;
pub mod user;
