//! `tawsim link` and `tawsim sync`: link a project to a team server as a
//! person, and run one sync round headless. The protocol is
//! [`crate::sync`]'s; this module opens the project, connects (asking for
//! the password on a terminal when none is found the standard ways) and
//! prints what went up and what came down. It never prints a password.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::Args;

use super::server::connect;
use crate::store::{Store, StoreError};

#[derive(Args, Debug)]
pub struct LinkArgs {
    /// The project (created if it does not exist).
    #[arg(long, value_name = "PROJECT.db")]
    pub db: PathBuf,
    /// The server as the person: postgres://NAME@HOST:PORT/DATABASE. The
    /// password comes from PGPASSWORD, ~/.pgpass or a prompt, and is never
    /// stored in the project.
    #[arg(value_name = "URL")]
    pub url: String,
}

#[derive(Args, Debug)]
pub struct SyncArgs {
    /// A linked project.
    #[arg(long, value_name = "PROJECT.db")]
    pub db: PathBuf,
}

pub fn link(args: LinkArgs) -> anyhow::Result<()> {
    if let Some(dir) = args.db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the folder {}", dir.display()))?;
    }
    let mut store = Store::open(&args.db)?;
    let mut server = connect(&args.url)?;
    let report = crate::sync::link(&mut store, &mut server)
        .with_context(|| format!("linking {}", args.db.display()))?;
    println!("{report}");
    Ok(())
}

pub fn sync(args: SyncArgs) -> anyhow::Result<()> {
    if !args.db.exists() {
        bail!(
            "there is no project at {}; give the path of a linked project file",
            args.db.display()
        );
    }
    let mut store = Store::open(&args.db)?;
    let link = store.sync_link()?.ok_or(StoreError::NotLinked)?;
    let mut server = connect(&link.server)?;
    let report = crate::sync::sync(&mut store, &mut server)
        .with_context(|| format!("syncing {}", args.db.display()))?;
    println!("{report}");
    Ok(())
}
