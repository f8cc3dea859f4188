//! Per-machine settings (who is annotating, theme, zoom, last project) in a
//! small RON file, where the default files live, and the bundled sample texts.
//!
//! Settings are preferences, never annotation data: losing them loses nothing
//! a user labelled, and no span is ever stored here. This module does not open
//! the project database or know about egui.
//!
//! # Locations
//!
//! If the environment variable `TAWSIM_HOME` is set (and not empty), both the
//! settings file and the default project live directly under it, so tests and
//! the screenshot script never touch the real home directory. Otherwise they
//! follow the platform's conventions (`directories::ProjectDirs` for
//! `org.tawsim.tawsim`), e.g. on Linux `~/.config/tawsim/settings.ron` and
//! `~/.local/share/tawsim/default.tawsim.db`.
//!
//! # File format
//!
//! A RON struct; every field may be left out (it then takes its default), and
//! optional values are written bare (`implicit_some`). Unknown fields are
//! ignored so an older tawsim can read a newer file.
//!
//! | field | type | default |
//! | --- | --- | --- |
//! | `annotator` | string, optional | none: the app asks |
//! | `dark_mode` | bool, optional | none: follow the system |
//! | `zoom` | number, clamped to 0.5–3.0 | 1.0 |
//! | `last_project` | path, optional | none |
//!
//! ```ron
//! (
//!     annotator: "rania",
//!     dark_mode: true,
//!     zoom: 1.25,
//!     last_project: "/home/rania/idlib.tawsim.db",
//! )
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Name of the environment variable that moves all default files under one folder.
pub const HOME_ENV: &str = "TAWSIM_HOME";
/// File name of the settings file inside its folder.
pub const SETTINGS_FILE: &str = "settings.ron";
/// File name of the default project database inside its folder.
pub const DEFAULT_PROJECT_FILE: &str = "default.tawsim.db";
/// Zoom factors outside this range are clamped on load.
pub const ZOOM_RANGE: std::ops::RangeInclusive<f32> = 0.5..=3.0;

/// Per-machine preferences. Every field has a default, so a missing or partial
/// file loads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Name of the person annotating on this machine.
    pub annotator: Option<String>,
    /// `None` follows the system theme.
    pub dark_mode: Option<bool>,
    /// UI zoom factor, 1.0 is 100 %; within [`ZOOM_RANGE`] after [`Settings::load`].
    pub zoom: f32,
    /// Project opened last, reopened at start.
    pub last_project: Option<PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            annotator: None,
            dark_mode: None,
            zoom: 1.0,
            last_project: None,
        }
    }
}

/// Why settings could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot {action} the settings file ({source}); check the folder's permissions: {}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "settings file is malformed at line {line}, column {column}: {message}; fix or delete the file (defaults are then used): {}",
        path.display()
    )]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("cannot write settings as RON ({message}); this is a bug in tawsim: {}", path.display())]
    Serialize { path: PathBuf, message: String },
}

fn ron_options() -> ron::Options {
    ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
}

impl Settings {
    /// Where the settings file lives: `$TAWSIM_HOME/settings.ron`, else the
    /// platform config folder. `None` when no home folder can be found.
    pub fn default_path() -> Option<PathBuf> {
        settings_path_under(std::env::var_os(HOME_ENV).as_deref())
    }

    /// Reads settings from `path`; a missing file gives the defaults. A zoom
    /// outside [`ZOOM_RANGE`] (or not a number) is brought back into it.
    pub fn load(path: &Path) -> Result<Settings, SettingsError> {
        let src = match std::fs::read_to_string(path) {
            Ok(src) => src,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Settings::default()),
            Err(source) => {
                return Err(SettingsError::Io {
                    action: "read",
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        let mut settings: Settings =
            ron_options()
                .from_str(&src)
                .map_err(|e| SettingsError::Parse {
                    path: path.to_path_buf(),
                    line: e.span.start.line,
                    column: e.span.start.col,
                    message: e.code.to_string(),
                })?;
        settings.zoom = if settings.zoom.is_finite() {
            settings.zoom.clamp(*ZOOM_RANGE.start(), *ZOOM_RANGE.end())
        } else {
            1.0
        };
        Ok(settings)
    }

    /// Writes settings to `path`, creating its folder. The file is written to a
    /// temporary file next to it and renamed over it, so a crash mid-write
    /// leaves the old settings intact.
    pub fn save(&self, path: &Path) -> Result<(), SettingsError> {
        let io = |action: &'static str, path: &Path| {
            let path = path.to_path_buf();
            move |source| SettingsError::Io {
                action,
                path,
                source,
            }
        };
        let pretty = ron::ser::PrettyConfig::new().struct_names(false);
        let text =
            ron_options()
                .to_string_pretty(self, pretty)
                .map_err(|e| SettingsError::Serialize {
                    path: path.to_path_buf(),
                    message: e.to_string(),
                })?;
        let folder = match path.parent() {
            Some(folder) if !folder.as_os_str().is_empty() => folder,
            _ => Path::new("."),
        };
        std::fs::create_dir_all(folder).map_err(io("create the folder of", path))?;
        let file_name = path.file_name().map_or_else(
            || SETTINGS_FILE.into(),
            |name| name.to_string_lossy().into_owned(),
        );
        let temp = folder.join(format!(".{file_name}.{}.tmp", std::process::id()));
        let write = || -> std::io::Result<()> {
            let mut file = std::fs::File::create(&temp)?;
            file.write_all(text.as_bytes())?;
            file.write_all(b"\n")?;
            file.sync_all()
        };
        if let Err(source) = write() {
            // Best effort: do not leave a half-written temporary file behind.
            let _ = std::fs::remove_file(&temp);
            return Err(io("write", &temp)(source));
        }
        std::fs::rename(&temp, path).map_err(|source| {
            let _ = std::fs::remove_file(&temp);
            io("replace", path)(source)
        })
    }
}

/// Where the default project database lives: `$TAWSIM_HOME/default.tawsim.db`,
/// else the platform data folder. `None` when no home folder can be found.
pub fn default_project_path() -> Option<PathBuf> {
    project_path_under(std::env::var_os(HOME_ENV).as_deref())
}

fn home_override(home: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    home.filter(|h| !h.is_empty()).map(PathBuf::from)
}

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("org", "tawsim", "tawsim")
}

fn settings_path_under(home: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    match home_override(home) {
        Some(home) => Some(home.join(SETTINGS_FILE)),
        None => Some(project_dirs()?.config_dir().join(SETTINGS_FILE)),
    }
}

fn project_path_under(home: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    match home_override(home) {
        Some(home) => Some(home.join(DEFAULT_PROJECT_FILE)),
        None => Some(project_dirs()?.data_dir().join(DEFAULT_PROJECT_FILE)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn save_then_load_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        // A folder that does not exist yet, and an Arabic annotator name.
        let path = dir.path().join("nested").join(SETTINGS_FILE);
        let settings = Settings {
            annotator: Some("رانيا".into()),
            dark_mode: Some(true),
            zoom: 1.25,
            last_project: Some(dir.path().join("إدلب.tawsim.db")),
        };
        settings.save(&path).unwrap();
        assert_eq!(Settings::load(&path).unwrap(), settings);
        // Saving again replaces the file and leaves no temporary file behind.
        let lighter = Settings {
            dark_mode: Some(false),
            ..settings
        };
        lighter.save(&path).unwrap();
        assert_eq!(Settings::load(&path).unwrap(), lighter);
        let entries: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(entries, vec![SETTINGS_FILE]);
        // Optional values are written bare, the way a person would edit them.
        let written = std::fs::read_to_string(&path).unwrap();
        assert!(written.contains("annotator: \"رانيا\""), "{written}");
    }

    #[test]
    fn missing_or_partial_files_give_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SETTINGS_FILE);
        assert_eq!(Settings::load(&path).unwrap(), Settings::default());
        assert_eq!(Settings::default().zoom, 1.0);
        std::fs::write(&path, "(annotator: \"سامر\", future_field: 3)").unwrap();
        let settings = Settings::load(&path).unwrap();
        assert_eq!(settings.annotator.as_deref(), Some("سامر"));
        assert_eq!(settings.zoom, 1.0);
        assert_eq!(settings.dark_mode, None);
        std::fs::write(&path, "(zoom: 40.0)").unwrap();
        assert_eq!(Settings::load(&path).unwrap().zoom, 3.0, "zoom is clamped");
        std::fs::write(&path, "(zoom: 0.01)").unwrap();
        assert_eq!(Settings::load(&path).unwrap().zoom, 0.5);
    }

    #[test]
    fn malformed_file_reports_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SETTINGS_FILE);
        std::fs::write(&path, "(\n    annotator: \"رانيا\",\n    zoom: \"big\",\n)").unwrap();
        let err = Settings::load(&path).unwrap_err();
        let SettingsError::Parse { line, column, .. } = &err else {
            panic!("expected a parse error, got {err:?}")
        };
        assert_eq!(*line, 3);
        assert!(
            (10..=12).contains(column),
            "column {column} should be at the value"
        );
        let message = err.to_string();
        assert!(
            message.starts_with("settings file is malformed at line 3, column"),
            "{message}"
        );
        assert!(message.ends_with(&path.display().to_string()), "{message}");
    }

    #[test]
    fn tawsim_home_moves_both_files() {
        let home = OsStr::new("/tmp/tawsim-test-home");
        assert_eq!(
            settings_path_under(Some(home)),
            Some(PathBuf::from("/tmp/tawsim-test-home/settings.ron"))
        );
        assert_eq!(
            project_path_under(Some(home)),
            Some(PathBuf::from("/tmp/tawsim-test-home/default.tawsim.db"))
        );
        // An empty TAWSIM_HOME is treated as unset.
        if let Some(dirs) = project_dirs() {
            assert_eq!(
                settings_path_under(Some(OsStr::new(""))),
                Some(dirs.config_dir().join(SETTINGS_FILE))
            );
            assert_eq!(
                project_path_under(None),
                Some(dirs.data_dir().join(DEFAULT_PROJECT_FILE))
            );
        }
    }
}
