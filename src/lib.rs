//! tawsim (توسيم): hand-labelling Arabic news.
//!
//! The core (`model`, `text`, `schema`, `store`, `io`, `layout`) knows nothing
//! of egui; `ui` is a thin immediate-mode layer that reads state each frame and
//! turns user intent into commands run after the UI pass.

pub mod background;
pub mod cli;
pub mod export;
pub mod fonts;
pub mod io;
pub mod layout;
pub mod model;
pub mod review;
pub mod schema;
pub mod server;
pub mod settings;
pub mod store;
pub mod suggest;
pub mod sync;
pub mod text;
pub mod ui;
