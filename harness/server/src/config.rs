//! The server's YAML configuration file ([`ServerConfig::from_file`](super::ServerConfig::from_file)).
//!
//! Parse raw, then validate: a serde mirror with `deny_unknown_fields` (so a misspelt key is an
//! error with its `file:line:col`), then checks and defaults into a [`ServerConfig`]. Every key
//! is optional; what is left out keeps its value from `ServerConfig::default()`. When `users`
//! is given it replaces the default users entirely (likewise `distribution_groups`).

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use super::{
    BUILTIN_PHOTO, DistributionGroupConfig, Quirk, RoomConfig, RoomListConfig, ServerConfig,
    ServerError, UserConfig,
};
use ews_yaml as yaml;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    listen: Option<String>,
    server_version: Option<String>,
    users: Option<Vec<RawUser>>,
    distribution_groups: Option<Vec<RawGroup>>,
    limits: Option<RawLimits>,
    quirks: Option<Vec<String>>,
    disabled_operations: Option<Vec<String>>,
    autodiscover_alias_domains: Option<Vec<String>>,
    room_lists: Option<Vec<RawRoomList>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoomList {
    smtp_address: String,
    display_name: String,
    #[serde(default)]
    rooms: Vec<RawRoom>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoom {
    smtp_address: String,
    display_name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUser {
    username: String,
    password: String,
    smtp_address: String,
    display_name: Option<String>,
    #[serde(default)]
    can_impersonate: Vec<String>,
    #[serde(default)]
    folder_access: Vec<String>,
    /// A JPEG or PNG file (relative to the configuration file's folder), or `builtin`.
    photo: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    smtp_address: String,
    display_name: String,
    #[serde(default)]
    members: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    max_request_bytes: Option<usize>,
    max_im_groups: Option<usize>,
    max_im_contacts: Option<usize>,
    max_connections: Option<usize>,
    max_attachment_bytes: Option<usize>,
    header_read_timeout_secs: Option<f64>,
    body_read_timeout_secs: Option<f64>,
    notification_minute_secs: Option<f64>,
    streaming_keepalive_secs: Option<f64>,
}

fn error(path: &Path, message: impl Into<String>) -> ServerError {
    ServerError::ConfigFile {
        path: path.display().to_string(),
        line: None,
        column: None,
        message: message.into(),
    }
}

fn seconds(path: &Path, key: &str, value: f64) -> Result<Duration, ServerError> {
    if value.is_finite() && value > 0.0 && value <= 86_400.0 {
        Ok(Duration::from_secs_f64(value))
    } else {
        Err(error(
            path,
            format!("limits.{key} must be a number of seconds between 0 and 86400, got {value}"),
        ))
    }
}

/// The largest photo file a user may have (Exchange keeps photos far smaller).
const MAX_PHOTO_BYTES: u64 = 4 * 1024 * 1024;

/// The photo of user `username`: `builtin` ([`BUILTIN_PHOTO`]) or a JPEG or PNG file, relative
/// to the folder of the configuration file `path`.
fn photo(path: &Path, username: &str, value: &str) -> Result<Arc<[u8]>, ServerError> {
    if value == "builtin" {
        return Ok(Arc::from(BUILTIN_PHOTO));
    }
    let file = path.parent().unwrap_or(Path::new("")).join(value);
    let problem = |message: String| error(path, format!("user `{username}`: photo: {message}"));
    let size = std::fs::metadata(&file)
        .map_err(|e| problem(format!("cannot read `{}`: {e}", file.display())))?
        .len();
    if size > MAX_PHOTO_BYTES {
        return Err(problem(format!(
            "`{}` has {size} bytes, more than {MAX_PHOTO_BYTES}",
            file.display()
        )));
    }
    let bytes = std::fs::read(&file)
        .map_err(|e| problem(format!("cannot read `{}`: {e}", file.display())))?;
    if !is_jpeg_or_png(&bytes) {
        return Err(problem(format!(
            "`{}` is neither a JPEG nor a PNG image",
            file.display()
        )));
    }
    Ok(Arc::from(bytes))
}

/// Whether `bytes` start like a JPEG (`FF D8 FF`) or a PNG (its 8-byte signature) file.
pub fn is_jpeg_or_png(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xFF, 0xD8, 0xFF]) || bytes.starts_with(b"\x89PNG\r\n\x1a\n")
}

/// Reads and validates a configuration file.
pub fn load(path: &Path) -> Result<ServerConfig, ServerError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| error(path, format!("cannot read: {e}")))?;
    parse(path, &text)
}

/// Validates configuration text (`path` only names it in errors).
pub fn parse(path: &Path, text: &str) -> Result<ServerConfig, ServerError> {
    let raw: RawConfig = yaml::from_str(text).map_err(|e| {
        let (line, column) = match yaml::error_location(&e) {
            Some((line, column)) => (Some(line), Some(column)),
            None => (None, None),
        };
        ServerError::ConfigFile {
            path: path.display().to_string(),
            line,
            column,
            message: e.to_string(),
        }
    })?;
    let mut config = ServerConfig::default();
    if let Some(listen) = raw.listen {
        config.listen = listen.parse().map_err(|_| {
            error(
                path,
                format!("listen: `{listen}` is not an address like 127.0.0.1:8080"),
            )
        })?;
    }
    if let Some(version) = raw.server_version {
        if super::envelope::version_rank(&version).is_none() {
            return Err(error(
                path,
                format!(
                    "server_version: `{version}` is not an ExchangeVersionType value (e.g. Exchange2013)"
                ),
            ));
        }
        config.server_version = version;
    }
    if let Some(users) = raw.users {
        let mut loaded = Vec::with_capacity(users.len());
        for u in users {
            let photo = match &u.photo {
                Some(value) => Some(photo(path, &u.username, value)?),
                None => None,
            };
            loaded.push(UserConfig {
                display_name: u.display_name.unwrap_or_else(|| u.username.clone()),
                username: u.username,
                password: u.password,
                smtp_address: u.smtp_address,
                can_impersonate: u.can_impersonate,
                folder_access: u.folder_access,
                photo,
            });
        }
        config.users = loaded;
    }
    if let Some(groups) = raw.distribution_groups {
        config.distribution_groups = groups
            .into_iter()
            .map(|g| DistributionGroupConfig {
                smtp_address: g.smtp_address,
                display_name: g.display_name,
                members: g.members,
            })
            .collect();
    }
    if let Some(limits) = raw.limits {
        if let Some(v) = limits.max_request_bytes {
            config.max_request_bytes = v;
        }
        if let Some(v) = limits.max_im_groups {
            config.max_im_groups = v;
        }
        if let Some(v) = limits.max_im_contacts {
            config.max_im_contacts = v;
        }
        if let Some(v) = limits.max_attachment_bytes {
            config.max_attachment_bytes = v;
        }
        if let Some(v) = limits.max_connections {
            config.max_connections = v;
        }
        if let Some(v) = limits.header_read_timeout_secs {
            config.header_read_timeout = seconds(path, "header_read_timeout_secs", v)?;
        }
        if let Some(v) = limits.body_read_timeout_secs {
            config.body_read_timeout = seconds(path, "body_read_timeout_secs", v)?;
        }
        if let Some(v) = limits.notification_minute_secs {
            config.notification_minute = seconds(path, "notification_minute_secs", v)?;
        }
        if let Some(v) = limits.streaming_keepalive_secs {
            config.streaming_keepalive = seconds(path, "streaming_keepalive_secs", v)?;
        }
    }
    if let Some(quirks) = raw.quirks {
        config.quirks = quirks
            .iter()
            .map(|q| {
                q.parse::<Quirk>()
                    .map_err(|e| error(path, format!("quirks: {e}")))
            })
            .collect::<Result<_, _>>()?;
    }
    if let Some(ops) = raw.disabled_operations {
        config.disabled_operations = ops.into_iter().collect();
    }
    if let Some(domains) = raw.autodiscover_alias_domains {
        config.autodiscover_alias_domains = domains;
    }
    if let Some(lists) = raw.room_lists {
        config.room_lists = lists
            .into_iter()
            .map(|list| RoomListConfig {
                smtp_address: list.smtp_address,
                display_name: list.display_name,
                rooms: list
                    .rooms
                    .into_iter()
                    .map(|room| RoomConfig {
                        smtp_address: room.smtp_address,
                        display_name: room.display_name,
                    })
                    .collect(),
            })
            .collect();
    }
    validate(&config).map_err(|message| error(path, message))?;
    Ok(config)
}

/// Checks a configuration (from a file or built in code) before the server starts.
pub fn validate(config: &ServerConfig) -> Result<(), String> {
    if let Some(op) = config
        .disabled_operations
        .iter()
        .find(|op| crate::operations::find(op).is_none())
    {
        return Err(format!(
            "disabled_operations: `{op}` is not an EWS operation name"
        ));
    }
    if config.users.is_empty() {
        return Err("at least one user is needed".into());
    }
    for list in &config.room_lists {
        let addresses =
            std::iter::once(&list.smtp_address).chain(list.rooms.iter().map(|r| &r.smtp_address));
        if let Some(bad) = addresses.into_iter().find(|a| !a.contains('@')) {
            return Err(format!(
                "room_lists: `{bad}` (in room list `{}`) is not an e-mail address",
                list.display_name
            ));
        }
    }
    if config.users.len() > usize::from(u16::MAX) {
        return Err("too many users".into());
    }
    let mut logins = BTreeSet::new();
    for user in &config.users {
        if user.username.is_empty() || user.username.contains(':') {
            return Err(format!(
                "user `{}`: user names must be non-empty and must not contain `:`",
                user.username
            ));
        }
        if !user.smtp_address.contains('@') {
            return Err(format!(
                "user `{}`: smtp_address `{}` is not an e-mail address",
                user.username, user.smtp_address
            ));
        }
        for login in [&user.username, &user.smtp_address] {
            if !logins.insert(login.to_ascii_lowercase()) {
                return Err(format!("`{login}` names more than one user"));
            }
        }
    }
    for user in &config.users {
        let lists = [
            ("can_impersonate", &user.can_impersonate),
            ("folder_access", &user.folder_access),
        ];
        for (key, targets) in lists {
            for target in targets {
                if !config
                    .users
                    .iter()
                    .any(|u| u.smtp_address.eq_ignore_ascii_case(target))
                {
                    return Err(format!(
                        "user `{}`: {key} names `{target}`, which is no configured user's smtp_address",
                        user.username
                    ));
                }
            }
        }
    }
    for group in &config.distribution_groups {
        if !group.smtp_address.contains('@') || group.display_name.is_empty() {
            return Err(format!(
                "distribution group `{}` needs an e-mail address and a display name",
                group.smtp_address
            ));
        }
        for member in &group.members {
            let known = config
                .users
                .iter()
                .any(|u| u.smtp_address.eq_ignore_ascii_case(member))
                || config
                    .distribution_groups
                    .iter()
                    .any(|g| g.smtp_address.eq_ignore_ascii_case(member));
            if !known {
                return Err(format!(
                    "distribution group `{}`: member `{member}` is no configured user's or group's smtp_address",
                    group.smtp_address
                ));
            }
        }
    }
    if config.max_request_bytes < 1024 {
        return Err("limits.max_request_bytes must be at least 1024".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_file_loads() {
        let text = include_str!("../../reference-server.example.yaml");
        let config = parse(Path::new("reference-server.example.yaml"), text).expect("loads");
        assert_eq!(config.users.len(), 3);
        assert_eq!(config.max_im_groups, 64);
        assert_eq!(config.users, ServerConfig::default().users);
    }

    /// No groups nor room lists, whose members would name the default users.
    const EMPTY_DIRECTORY: &str = "distribution_groups: []\nroom_lists: []\n";

    #[test]
    fn a_photo_file_is_read_relative_to_the_configuration_file() {
        let folder = std::env::temp_dir().join(format!("ews-photo-{}", std::process::id()));
        std::fs::create_dir_all(&folder).expect("temp folder");
        std::fs::write(folder.join("a.jpg"), BUILTIN_PHOTO).expect("photo");
        std::fs::write(folder.join("b.txt"), "not a picture").expect("text");
        let config_path = folder.join("server.yaml");
        let user = |photo: &str| {
            format!(
                "users:\n  - {{username: a, password: p, smtp_address: a@x.com, photo: {photo}}}\n{EMPTY_DIRECTORY}"
            )
        };
        let config = parse(&config_path, &user("a.jpg")).expect("loads");
        assert_eq!(config.users[0].photo.as_deref(), Some(BUILTIN_PHOTO));
        let without = parse(
            &config_path,
            &format!(
                "users:\n  - {{username: a, password: p, smtp_address: a@x.com}}\n{EMPTY_DIRECTORY}"
            ),
        )
        .expect("loads");
        assert_eq!(without.users[0].photo, None);
        for (photo, problem) in [
            ("b.txt", "neither a JPEG nor a PNG"),
            ("missing.jpg", "cannot read"),
        ] {
            let message = parse(&config_path, &user(photo))
                .expect_err(photo)
                .to_string();
            assert!(
                message.contains("user `a`: photo:") && message.contains(problem),
                "{message}"
            );
        }
        std::fs::remove_dir_all(&folder).ok();
    }

    #[test]
    fn unknown_keys_point_at_their_line() {
        let text = "server_version: Exchange2013\nuserz: []\n";
        let err = parse(Path::new("s.yaml"), text).expect_err("unknown key");
        let shown = err.to_string();
        assert!(shown.starts_with("s.yaml:2:1:"), "{shown}");
        assert!(shown.contains("userz"), "{shown}");
    }

    #[test]
    fn semantic_errors_name_the_problem() {
        let text = "users:\n  - {username: a, password: p, smtp_address: a@x.com, can_impersonate: [b@x.com]}\n";
        let err = parse(Path::new("s.yaml"), text).expect_err("unknown target");
        assert!(err.to_string().contains("b@x.com"), "{err}");
        let err = parse(Path::new("s.yaml"), "quirks: [nope]\n").expect_err("bad quirk");
        assert!(err.to_string().contains("unknown quirk"), "{err}");
    }
}
