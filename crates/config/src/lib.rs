//! Layered settings for every boxoffice command.
//!
//! Precedence, lowest to highest: the built-in defaults of the settings type, an optional TOML
//! config file, `BOXOFFICE_*` environment variables, then command-line flags. Nested keys use a
//! double underscore in the environment: `BOXOFFICE_USERS__LISTEN=0.0.0.0:8101` sets
//! `users.listen`.

use std::path::Path;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use secret::Secret;

mod secret;

/// The prefix of every environment variable boxoffice reads.
pub const ENV_PREFIX: &str = "BOXOFFICE_";

#[derive(Debug, thiserror::Error)]
#[error("invalid settings: {0}")]
pub struct ConfigError(#[from] Box<figment::Error>);

/// Loads settings of type `T`.
///
/// `flags` is a serializable value holding only what was given on the command line: fields left
/// `None` must be skipped when serializing (`#[serde(skip_serializing_if = "Option::is_none")]`)
/// so that they do not hide the layers below.
pub fn load<T, F>(config_file: Option<&Path>, flags: &F) -> Result<T, ConfigError>
where
    T: DeserializeOwned + Serialize + Default,
    F: Serialize,
{
    figment::<T, F>(config_file, flags)
        .extract()
        .map_err(|e| ConfigError(Box::new(e)))
}

fn figment<T, F>(config_file: Option<&Path>, flags: &F) -> Figment
where
    T: Serialize + Default,
    F: Serialize,
{
    let mut figment = Figment::from(Serialized::defaults(T::default()));
    if let Some(path) = config_file {
        figment = figment.merge(Toml::file_exact(path));
    }
    figment
        .merge(Env::prefixed(ENV_PREFIX).split("__"))
        .merge(Serialized::defaults(flags))
}

#[cfg(test)]
// figment's `Jail` fixes the closures' error type to `figment::Error`, which is large.
#[allow(clippy::result_large_err)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    #[serde(default)]
    struct Settings {
        data_dir: String,
        users: Users,
    }

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    #[serde(default)]
    struct Users {
        listen: String,
        ttl: u64,
    }

    impl Default for Settings {
        fn default() -> Self {
            Self {
                data_dir: "default-dir".into(),
                users: Users::default(),
            }
        }
    }

    impl Default for Users {
        fn default() -> Self {
            Self {
                listen: "127.0.0.1:8101".into(),
                ttl: 900,
            }
        }
    }

    #[derive(Serialize)]
    struct Flags {
        #[serde(skip_serializing_if = "Option::is_none")]
        data_dir: Option<String>,
    }

    #[test]
    fn each_layer_overrides_the_one_below() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "boxoffice.toml",
                "data_dir = \"file-dir\"\n[users]\nttl = 60\nlisten = \"file:1\"\n",
            )?;
            jail.set_env("BOXOFFICE_USERS__LISTEN", "env:2");
            let flags = Flags { data_dir: None };
            let settings: Settings =
                load(Some(Path::new("boxoffice.toml")), &flags).map_err(|e| e.to_string())?;
            assert_eq!(settings.data_dir, "file-dir");
            assert_eq!(settings.users.ttl, 60);
            assert_eq!(settings.users.listen, "env:2");

            jail.set_env("BOXOFFICE_DATA_DIR", "env-dir");
            let flags = Flags {
                data_dir: Some("flag-dir".into()),
            };
            let settings: Settings =
                load(Some(Path::new("boxoffice.toml")), &flags).map_err(|e| e.to_string())?;
            assert_eq!(settings.data_dir, "flag-dir");
            Ok(())
        });
    }

    #[test]
    fn defaults_apply_with_nothing_set() {
        figment::Jail::expect_with(|_jail| {
            let settings: Settings =
                load(None, &Flags { data_dir: None }).map_err(|e| e.to_string())?;
            assert_eq!(settings, Settings::default());
            Ok(())
        });
    }

    #[test]
    fn a_missing_config_file_is_an_error() {
        figment::Jail::expect_with(|_jail| {
            let result: Result<Settings, _> =
                load(Some(Path::new("nope.toml")), &Flags { data_dir: None });
            assert!(result.is_err());
            Ok(())
        });
    }
}
