//! The search area (FindItem) driven by real clients: exchangelib's QuerySet (count, slices of
//! an ordered list, filters on subject and received date, descending order, `.only`) and
//! ews-javascript-api's FindItems (SearchFilter collections, ItemView paging with MoreAvailable,
//! NextPageOffset and TotalCount). Every scenario fills a fresh server's Inbox itself.

use serde_json::{Value, json};

use super::{Client, run, server};

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {value}"))
        .iter()
        .map(|v| {
            v.as_str()
                .unwrap_or_else(|| panic!("not a string: {v}"))
                .to_string()
        })
        .collect()
}

/// `msg NN report|note` as the scripts name them.
fn subject(i: usize) -> String {
    format!("msg {i:02} {}", if i % 3 == 0 { "report" } else { "note" })
}

fn subjects(range: impl Iterator<Item = usize>) -> Vec<String> {
    range.map(subject).collect()
}

#[test]
fn exchangelib_counts_and_pages_through_the_inbox() {
    let server = server();
    if let Some(result) = run(Client::Exchangelib, "search/count_and_page", &server) {
        assert_eq!(result["ok"], true, "{result}");
        assert_eq!(result["count"], 25, "{result}");
        assert_eq!(strings(&result["page"]), subjects(10..20), "{result}");
        assert_eq!(strings(&result["tail"]), subjects(20..25), "{result}");
        assert_eq!(result["first"], "msg 00 report", "{result}");
    }
    server.shutdown();
}

#[test]
fn exchangelib_filters_orders_and_selects_fields() {
    let server = server();
    if let Some(result) = run(Client::Exchangelib, "search/filter_and_order", &server) {
        assert_eq!(result["ok"], true, "{result}");
        assert_eq!(
            strings(&result["reports"]),
            subjects((0..9).filter(|i| i % 3 == 0)),
            "{result}"
        );
        assert_eq!(result["received_after_an_hour_ago"], 9, "{result}");
        assert_eq!(result["received_in_an_hour"], 0, "{result}");
        assert_eq!(
            strings(&result["descending"]),
            subjects((0..9).rev()),
            "{result}"
        );
        // Odd numbers are High; `.only` fetched subject and importance, not the read state
        // (exchangelib's default, False, since the field was not asked for).
        assert_eq!(
            result["only"],
            json!([
                ["msg 08 note", "Low", false],
                ["msg 07 note", "High", false],
                ["msg 06 report", "Low", false]
            ]),
            "{result}"
        );
        assert_eq!(
            strings(&result["high_reports"]).len(),
            1,
            "only msg 03 is a High report: {result}"
        );
        assert_eq!(
            strings(&result["high_reports"]),
            ["msg 03 report"],
            "{result}"
        );
    }
    server.shutdown();
}

#[test]
fn ews_javascript_api_pages_a_filtered_find_until_no_more_is_available() {
    let server = server();
    if let Some(result) = run(
        Client::EwsJavascriptApi,
        "search/filters_and_paging",
        &server,
    ) {
        assert_eq!(result["ok"], true, "{result}");
        let pages = result["pages"].as_array().expect("pages");
        assert_eq!(pages.len(), 3, "{result}");
        let expected = [
            (vec![0, 3], true, json!(2)),
            (vec![6, 9], true, json!(4)),
            (vec![12], false, Value::Null),
        ];
        for (page, (numbers, more, next)) in pages.iter().zip(expected) {
            assert_eq!(
                strings(&page["subjects"]),
                subjects(numbers.into_iter()),
                "{result}"
            );
            assert_eq!(page["more_available"], more, "{result}");
            assert_eq!(page["next_page_offset"], next, "{result}");
            assert_eq!(page["total_count"], 5, "{result}");
        }
        let either: Vec<usize> = (0..13)
            .filter(|i| i % 3 == 0 || (10..20).contains(i))
            .collect();
        assert_eq!(
            strings(&result["either"]["subjects"]),
            subjects(either.into_iter()),
            "{result}"
        );
        assert_eq!(result["either"]["total_count"], 7, "{result}");
        assert_eq!(result["future"]["total_count"], 0, "{result}");
        assert_eq!(result["future"]["more_available"], false, "{result}");
    }
    server.shutdown();
}

#[test]
fn ews_javascript_api_item_view_reads_the_last_page_and_past_the_end() {
    let server = server();
    if let Some(result) = run(Client::EwsJavascriptApi, "search/view_paging", &server) {
        assert_eq!(result["ok"], true, "{result}");
        assert_eq!(
            strings(&result["last"]["subjects"]),
            subjects(5..7),
            "{result}"
        );
        assert_eq!(result["last"]["more_available"], false, "{result}");
        assert_eq!(result["last"]["total_count"], 7, "{result}");
        assert_eq!(result["beyond"]["subjects"], json!([]), "{result}");
        assert_eq!(result["beyond"]["more_available"], false, "{result}");
        assert_eq!(result["beyond"]["total_count"], 7, "{result}");
    }
    server.shutdown();
}
