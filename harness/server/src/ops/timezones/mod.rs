//! The time-zone area: GetServerTimeZones, over the Windows zones of [`crate::timezones`]. Its
//! cases live with the settings family (`cases/settings/get_server_time_zones/`).

pub mod get_server_time_zones;
