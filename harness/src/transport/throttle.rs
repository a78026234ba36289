//! Throttling: how long a server asks the harness to wait before trying the same request again.
//!
//! Two signals are understood:
//! - EWS `ErrorServerBusy` (a SOAP fault or a message response) whose `MessageXml` carries
//!   `<t:Value Name="BackOffMilliseconds">5000</t:Value>`;
//! - HTTP 429 or 503 with `Retry-After` in seconds or as an HTTP-date.
//!
//! The body is scanned with bounded regular expressions (linear time, no entity expansion), so a
//! hostile response cannot make this slow.

use std::sync::LazyLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use regex::bytes::Regex;

/// Bodies larger than this are not scanned for `ErrorServerBusy` (a throttling fault is small).
const MAX_SCANNED_BODY: usize = 256 * 1024;

static SERVER_BUSY: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"<(?:[A-Za-z_][\w.-]*:)?ResponseCode(?:\s[^>]*)?>\s*ErrorServerBusy\s*<").ok()
});

static BACK_OFF: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r#"<(?:[A-Za-z_][\w.-]*:)?Value\s+Name\s*=\s*["']BackOffMilliseconds["']\s*>\s*(\d{1,10})\s*<"#,
    )
    .ok()
});

/// The wait the server asks for, or `None` when the response is not a throttling answer.
pub fn requested_back_off(
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
    now: SystemTime,
) -> Option<Duration> {
    if status == 429 || status == 503 {
        let retry_after = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
            .map(|(_, v)| v.as_str())?;
        return parse_retry_after(retry_after, now);
    }
    server_busy_back_off(body)
}

/// `BackOffMilliseconds` of an `ErrorServerBusy` response.
pub fn server_busy_back_off(body: &[u8]) -> Option<Duration> {
    if body.len() > MAX_SCANNED_BODY || !contains(body, b"ErrorServerBusy") {
        return None;
    }
    let busy = SERVER_BUSY.as_ref()?;
    if !busy.is_match(body) {
        return None;
    }
    let captures = BACK_OFF.as_ref()?.captures(body)?;
    let millis: u64 = std::str::from_utf8(captures.get(1)?.as_bytes())
        .ok()?
        .parse()
        .ok()?;
    Some(Duration::from_millis(millis))
}

/// `Retry-After`: delay-seconds or an HTTP-date (IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = parse_http_date(value)?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

fn parse_http_date(value: &str) -> Option<SystemTime> {
    // "Sun, 06 Nov 1994 08:49:37 GMT"
    let rest = value.split_once(", ")?.1;
    let mut parts = rest.split_ascii_whitespace();
    let day: u32 = parts.next()?.parse().ok()?;
    let month = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = parts.next()?.parse().ok()?;
    let mut hms = parts.next()?.split(':');
    let hour: u64 = hms.next()?.parse().ok()?;
    let minute: u64 = hms.next()?.parse().ok()?;
    let second: u64 = hms.next()?.parse().ok()?;
    if parts.next()? != "GMT" || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let seconds = u64::try_from(days).ok()? * 86_400 + hour * 3600 + minute * 60 + second;
    UNIX_EPOCH.checked_add(Duration::from_secs(seconds))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUSY: &str = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>
<faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">a:ErrorServerBusy</faultcode>
<faultstring xml:lang="en-US">The server cannot service this request right now. Try again later.</faultstring>
<detail><e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">ErrorServerBusy</e:ResponseCode>
<e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">The server cannot service this request right now. Try again later.</e:Message>
<t:MessageXml xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">
<t:Value Name="BackOffMilliseconds">5000</t:Value></t:MessageXml></detail></s:Fault></s:Body></s:Envelope>"#;

    #[test]
    fn server_busy_fault_gives_its_back_off() {
        assert_eq!(
            requested_back_off(500, &[], BUSY.as_bytes(), SystemTime::now()),
            Some(Duration::from_millis(5000))
        );
    }

    #[test]
    fn other_faults_and_busy_without_back_off_are_not_throttling() {
        let other = BUSY.replace("ErrorServerBusy", "ErrorInternalServerError");
        assert_eq!(server_busy_back_off(other.as_bytes()), None);
        let no_value = BUSY.replace("BackOffMilliseconds", "Other");
        assert_eq!(server_busy_back_off(no_value.as_bytes()), None);
    }

    #[test]
    fn retry_after_seconds_and_http_date() {
        let headers = vec![("Retry-After".to_string(), "2".to_string())];
        assert_eq!(
            requested_back_off(429, &headers, b"", SystemTime::now()),
            Some(Duration::from_secs(2))
        );
        // 784111777 = Sun, 06 Nov 1994 08:49:37 GMT
        let now = UNIX_EPOCH + Duration::from_secs(784_111_777 - 30);
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after(
                "Sun, 06 Nov 1994 08:49:37 GMT",
                now + Duration::from_secs(60)
            ),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(requested_back_off(503, &[], b"", now), None);
    }
}
