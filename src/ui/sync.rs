//! The team server in the window: the sync state in the status bar, and
//! File ▸ Team server… to link the project, type a password, or sync now.
//!
//! The work runs on [`crate::sync::worker::SyncWorker`]'s thread; this
//! module only reads its [`SyncStatus`] each frame and turns clicks into
//! [`TeamCommand`]s. After every command that changed the project the app
//! pokes the worker ([`App::poke_sync`]), and when a pull changed the
//! project the app reads its documents, layers and spans again
//! ([`App::poll_sync`]).
//!
//! Status bar texts (the tooltip adds the server, the person and the last
//! round):
//!
//! | state | text |
//! |---|---|
//! | synced, nothing waiting | `synced 14:02 UTC` |
//! | synced or syncing, with changes waiting | `3 changes waiting` / `syncing… 3 changes waiting` |
//! | offline | `offline · 3 changes waiting · retrying in 8 s` (the reason in the tooltip) |
//! | password needed | `team server: password needed` (File ▸ Team server… asks for it) |
//! | error | `sync error: …` (the whole message) |
//!
//! Messages may quote Arabic names, so they are drawn by the text engine.

use std::time::{Duration, SystemTime};

use egui::Sense;

use super::{App, Command};
use crate::sync::worker::{SyncState, SyncStatus, SyncWorker};

/// Size of the window's text, in points.
const FONT_SIZE: f32 = 14.0;

/// What the Team server window asks for.
#[derive(Clone, PartialEq)]
pub enum TeamCommand {
    /// Open the window.
    Open,
    /// Close it.
    Close,
    /// Run a round now.
    SyncNow,
    /// Use this password for the session (kept in memory only).
    Password(String),
    /// Link the project to this server URL (with this password, or none).
    Link { url: String, password: String },
}

impl std::fmt::Debug for TeamCommand {
    // Never print a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TeamCommand::Open => f.write_str("Open"),
            TeamCommand::Close => f.write_str("Close"),
            TeamCommand::SyncNow => f.write_str("SyncNow"),
            TeamCommand::Password(_) => f.write_str("Password(…)"),
            TeamCommand::Link { url, .. } => write!(f, "Link({url}, …)"),
        }
    }
}

/// The team server's part of the app.
#[derive(Default)]
pub struct TeamUi {
    worker: Option<SyncWorker>,
    /// Whether the project's link was looked at (once, at the first frame).
    looked: bool,
    /// The status read this frame.
    status: Option<SyncStatus>,
    /// `status.changed` when the project was last read again for it.
    seen_changed: u64,
    /// The Team server window, while open: what is typed in it.
    window: Option<TeamWindow>,
    /// The window's context, so the sync thread can ask for a repaint.
    ctx: Option<egui::Context>,
}

#[derive(Default)]
struct TeamWindow {
    url: String,
    password: String,
}

impl TeamUi {
    /// The sync's status as of this frame; `None` when the project is not
    /// linked and nobody asked to link it.
    pub fn status(&self) -> Option<&SyncStatus> {
        self.status.as_ref()
    }

    /// Whether the Team server window is open.
    pub fn window_open(&self) -> bool {
        self.window.is_some()
    }
}

/// What the status bar says for `status`.
pub fn status_text(status: &SyncStatus) -> String {
    let waiting = match status.waiting {
        0 => String::new(),
        1 => "1 change waiting".to_owned(),
        n => format!("{n} changes waiting"),
    };
    match &status.state {
        SyncState::NotLinked => "not linked to a team server".to_owned(),
        SyncState::Syncing if waiting.is_empty() => "syncing…".to_owned(),
        SyncState::Syncing => format!("syncing… {waiting}"),
        SyncState::Synced { .. } if !waiting.is_empty() => waiting,
        SyncState::Synced { at } => format!("synced {} UTC", clock(*at)),
        SyncState::Offline {
            since, retry_in, ..
        } => {
            let left = retry_in.saturating_sub(since.elapsed()).as_secs();
            let mut text = "offline".to_owned();
            if !waiting.is_empty() {
                text.push_str(&format!(" · {waiting}"));
            }
            text.push_str(&format!(" · retrying in {left} s"));
            text
        }
        SyncState::NeedsPassword { .. } => "team server: password needed".to_owned(),
        SyncState::Error { message } => format!("sync error: {message}"),
    }
}

/// The tooltip: the server, the person, the last round, the reason.
fn status_detail(status: &SyncStatus) -> String {
    let mut lines = Vec::new();
    if let (Some(server), Some(login)) = (&status.server, &status.login) {
        lines.push(format!(
            "{server} as {login} ({})",
            status.role.as_deref().unwrap_or("?")
        ));
    }
    match &status.state {
        SyncState::Offline { reason, .. } => {
            lines.push(format!("the server cannot be reached: {reason}"));
            lines.push("your work is saved here and goes up when it answers".to_owned());
        }
        SyncState::NeedsPassword { role, refused, .. } => {
            lines.push(match refused {
                Some(why) => format!("the server refused the password of {role}: {why}"),
                None => format!("the server asks for the password of {role}"),
            });
            lines.push("File ▸ Team server… to type it".to_owned());
        }
        _ => {}
    }
    if let Some(last) = &status.last {
        lines.push(format!(
            "last round: {} rows went up, {} came down",
            last.pushed, last.pulled
        ));
        if last.took_later > 0 {
            lines.push(format!(
                "{} records here took a later change made by someone else",
                last.took_later
            ));
        }
        for refused in &last.refused {
            lines.push(format!("refused by the server: {refused}"));
        }
    }
    lines.join("\n")
}

/// The time of day as HH:MM, UTC (tawsim keeps no time-zone data).
fn clock(at: SystemTime) -> String {
    let secs = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs();
    format!("{:02}:{:02}", (secs / 3600) % 24, (secs / 60) % 60)
}

impl App {
    /// Start the sync thread if the project is linked (first frame), read
    /// its status, and read the project again when a pull changed it.
    pub(super) fn poll_sync(&mut self, ctx: &egui::Context) {
        if self.team.ctx.is_none() {
            self.team.ctx = Some(ctx.clone());
        }
        if !self.team.looked {
            self.team.looked = true;
            if matches!(self.store.sync_link(), Ok(Some(_))) {
                self.start_sync();
            }
        }
        let Some(worker) = &self.team.worker else {
            return;
        };
        let status = worker.status();
        if let SyncState::Offline { .. } = status.state {
            // The countdown in the status bar.
            ctx.request_repaint_after(Duration::from_secs(1));
        }
        let changed = status.changed != self.team.seen_changed;
        self.team.seen_changed = status.changed;
        self.team.status = Some(status);
        if changed {
            self.adopt_linked_person();
            self.browser.changed();
            self.refresh_layers();
            if let Err(error) = self.reload_spans() {
                self.errors.push(format!("{error:#}"));
            }
        }
    }

    fn start_sync(&mut self) {
        let Some(path) = self.store.path().map(|p| p.to_path_buf()) else {
            self.errors
                .push("a project in memory cannot be linked to a team server".to_owned());
            return;
        };
        let ctx = self.team.ctx.clone();
        let wake = move || {
            if let Some(ctx) = &ctx {
                ctx.request_repaint();
            }
        };
        match SyncWorker::start(&path, wake) {
            Ok(worker) => self.team.worker = Some(worker),
            Err(error) => self
                .errors
                .push(format!("{:#}", anyhow::Error::from(error))),
        }
    }

    /// In a linked project the annotator is the linked person.
    pub(super) fn adopt_linked_person(&mut self) {
        match self.store.linked_annotator() {
            Ok(Some((id, name))) => {
                if self.annotator.as_ref().map(|(a, _)| *a) != Some(id) {
                    self.run(Command::SetAnnotator(name));
                }
            }
            Ok(None) => {}
            Err(error) => self
                .errors
                .push(format!("{:#}", anyhow::Error::from(error))),
        }
    }

    /// An action committed: tell the sync thread.
    pub(super) fn poke_sync(&self) {
        if let Some(worker) = &self.team.worker {
            worker.poke();
        }
    }

    /// The sync's status, as of this frame (`None`: not linked).
    pub fn sync_status(&self) -> Option<&SyncStatus> {
        self.team.status()
    }

    /// Carry out a command of the Team server window.
    pub(super) fn run_team_command(&mut self, command: TeamCommand) -> anyhow::Result<()> {
        match command {
            TeamCommand::Open => {
                let url = self
                    .store
                    .sync_link()?
                    .map(|l| l.server)
                    .unwrap_or_default();
                self.team.window = Some(TeamWindow {
                    url,
                    password: String::new(),
                });
            }
            TeamCommand::Close => self.team.window = None,
            TeamCommand::SyncNow => self.poke_sync(),
            TeamCommand::Password(password) => {
                if let Some(w) = &mut self.team.window {
                    w.password.clear();
                }
                if let Some(worker) = &self.team.worker {
                    worker.set_password(password);
                }
            }
            TeamCommand::Link { url, password } => {
                let url = url.trim().to_owned();
                crate::server::ServerUrl::parse(&url)?;
                if let Some(w) = &mut self.team.window {
                    w.password.clear();
                }
                if self.team.worker.is_none() {
                    self.start_sync();
                }
                if let Some(worker) = &self.team.worker {
                    worker.link(url, password);
                }
            }
        }
        Ok(())
    }

    /// The sync part of the status bar.
    pub(super) fn sync_status_bar(&mut self, ui: &mut egui::Ui) {
        let Some(status) = &self.team.status else {
            return;
        };
        ui.separator();
        let color = match status.state {
            SyncState::Error { .. } | SyncState::NeedsPassword { .. } => {
                ui.visuals().error_fg_color
            }
            SyncState::Offline { .. } => ui.visuals().warn_fg_color,
            _ => ui.visuals().text_color(),
        };
        let text = status_text(status);
        let detail = status_detail(status);
        let response = self
            .engine
            .label(ui, &text, FONT_SIZE, color, Sense::click());
        if response.clicked() {
            self.commands.push(Command::Team(TeamCommand::Open));
        }
        if !detail.is_empty() {
            response.on_hover_text(detail);
        }
    }

    /// File ▸ Team server…, while open.
    pub(super) fn team_window(&mut self, ctx: &egui::Context) {
        let Some(window) = &mut self.team.window else {
            return;
        };
        let status = self.team.status.clone();
        let linked = status.as_ref().and_then(|s| s.server.clone());
        let mut open = true;
        let mut commands = Vec::new();
        egui::Window::new("Team server")
            .id(egui::Id::unique("team-server"))
            .open(&mut open)
            .collapsible(false)
            .resizable(false)
            .show(ctx, |ui| {
                ui.set_max_width(560.0);
                let text_color = ui.visuals().text_color();
                match (&linked, &status) {
                    (Some(server), Some(status)) => {
                        ui.label(format!(
                            "Linked to {server} as {} ({}).",
                            status.login.as_deref().unwrap_or("?"),
                            status.role.as_deref().unwrap_or("?")
                        ));
                        self.engine.label(
                            ui,
                            &status_text(status),
                            FONT_SIZE,
                            text_color,
                            Sense::hover(),
                        );
                        for line in status_detail(status).lines().skip(1) {
                            self.engine
                                .label(ui, line, FONT_SIZE, text_color, Sense::hover());
                        }
                        if matches!(status.state, SyncState::NeedsPassword { .. }) {
                            ui.horizontal(|ui| {
                                ui.label("Password:");
                                let edit = ui.add(
                                    egui::TextEdit::singleline(&mut window.password)
                                        .password(true)
                                        .desired_width(220.0),
                                );
                                let enter = edit.lost_focus()
                                    && ui.input(|i| i.key_pressed(egui::Key::Enter));
                                if (ui.button("Use").clicked() || enter)
                                    && !window.password.is_empty()
                                {
                                    commands.push(TeamCommand::Password(window.password.clone()));
                                }
                            });
                            ui.label("The password is kept for this session only, never saved.");
                        }
                        if ui.button("Sync now").clicked() {
                            commands.push(TeamCommand::SyncNow);
                        }
                    }
                    _ => {
                        ui.label(
                            "Link this project to a team server: your work is pushed to it and \
                             your team's pulled from it, in the background. You keep working \
                             here when it cannot be reached.",
                        );
                        ui.horizontal(|ui| {
                            ui.label("Server:");
                            ui.add(
                                egui::TextEdit::singleline(&mut window.url)
                                    .hint_text("postgres://NAME@host:5432/team")
                                    .desired_width(360.0),
                            );
                        });
                        ui.horizontal(|ui| {
                            ui.label("Password:");
                            ui.add(
                                egui::TextEdit::singleline(&mut window.password)
                                    .password(true)
                                    .hint_text("empty: PGPASSWORD or ~/.pgpass")
                                    .desired_width(220.0),
                            );
                        });
                        if let Some(status) = &status
                            && !matches!(status.state, SyncState::NotLinked)
                        {
                            let color = match status.state {
                                SyncState::Syncing | SyncState::Synced { .. } => text_color,
                                _ => ui.visuals().error_fg_color,
                            };
                            self.engine.label(
                                ui,
                                &status_text(status),
                                FONT_SIZE,
                                color,
                                Sense::hover(),
                            );
                        }
                        let ready = !window.url.trim().is_empty();
                        if ui.add_enabled(ready, egui::Button::new("Link")).clicked() {
                            commands.push(TeamCommand::Link {
                                url: window.url.clone(),
                                password: window.password.clone(),
                            });
                        }
                    }
                }
            });
        if !open {
            commands.push(TeamCommand::Close);
        }
        self.commands
            .extend(commands.into_iter().map(Command::Team));
    }
}
