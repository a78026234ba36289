//! The XML engine end to end: canonicalization rules (goldens under `tests/golden/xml/`),
//! near misses that must be reported, matchers, paths in mismatches, errors with positions,
//! the diff, and robustness against mutated input.
//!
//! Goldens that list mismatches (`*.txt`) are rewritten with `EWS_BLESS=overwrite`; review the
//! change before committing it.

use std::path::PathBuf;

use ews_conformance::xml::{
    self, CompareOptions, DiffOptions, Document, MismatchKind, ParseOptions, Path, XmlErrorKind,
};

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/xml")
}

fn read(name: &str) -> Vec<u8> {
    let path = golden_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn doc(text: &str) -> Document {
    xml::parse(text.as_bytes(), &ParseOptions::default())
        .unwrap_or_else(|e| panic!("test input does not parse: {e}\n{text}"))
}

fn doc_file(name: &str) -> Document {
    xml::parse(&read(name), &ParseOptions::default())
        .unwrap_or_else(|e| panic!("{name} does not parse: {e}"))
}

const ENV_OPEN: &str = r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><soap:Body>"#;
const ENV_CLOSE: &str = "</soap:Body></soap:Envelope>";

/// A SOAP envelope around `body` with the usual prefixes.
fn env(body: &str) -> Document {
    doc(&format!("{ENV_OPEN}{body}{ENV_CLOSE}"))
}

fn listing(c: &xml::Comparison) -> String {
    c.mismatches
        .iter()
        .map(|m| {
            format!(
                "{} {} | {} | {}\n",
                m.kind.label(),
                m.expected_path,
                m.actual_path,
                m.message
            )
        })
        .collect()
}

fn check_golden_text(name: &str, actual: &str) {
    crate::support::assert_golden_file(&golden_dir().join(name), actual, "xml::");
}

// ---------------------------------------------------------------- canonicalization rules

/// Every rule has a golden pair that must compare equal and a near miss that must not.
#[test]
fn every_rule_has_an_equal_golden_pair_and_a_reported_near_miss() {
    for rule in xml::RULES {
        if rule.name == "refuse-dtd" {
            continue; // see refuse_dtd_golden
        }
        let a = doc_file(&format!("rules/{}.a.xml", rule.name));
        let b = doc_file(&format!("rules/{}.b.xml", rule.name));
        let same = xml::compare(&a, &b, &CompareOptions::default());
        assert!(
            same.mismatches.is_empty(),
            "rule {}: golden pair must be equal:\n{}",
            rule.name,
            listing(&same)
        );
        let near = doc_file(&format!("rules/{}.near.xml", rule.name));
        let diff = xml::compare(&a, &near, &CompareOptions::default());
        assert!(
            !diff.mismatches.is_empty(),
            "rule {}: near miss must be reported",
            rule.name
        );
        check_golden_text(&format!("rules/{}.near.txt", rule.name), &listing(&diff));
    }
}

#[test]
fn refuse_dtd_golden() {
    let err = xml::parse(&read("rules/refuse-dtd.a.xml"), &ParseOptions::default()).unwrap_err();
    assert_eq!(err.kind, XmlErrorKind::Dtd);
    assert_eq!((err.pos.line, err.pos.col), (2, 1));
    // The words in a comment or CDATA section are not a DTD.
    let near = doc_file("rules/refuse-dtd.near.xml");
    assert_eq!(
        Path::parse("/doc/t").unwrap().select_values(&near),
        [r#"<!DOCTYPE x [<!ENTITY a "b">]>"#]
    );
}

#[test]
fn rules_are_listed_in_their_documented_order() {
    let names: Vec<&str> = xml::RULES.iter().map(|r| r.name).collect();
    assert_eq!(
        names,
        [
            "expanded-names",
            "attribute-order",
            "xmlns-not-attributes",
            "drop-comments-pis-decl",
            "cdata-as-text",
            "empty-element-forms",
            "resolve-char-refs",
            "drop-whitespace-text",
            "trim-text",
            "qname-values",
            "refuse-dtd",
        ]
    );
    assert!(xml::RULES.iter().all(|r| !r.description.is_empty()));
}

#[test]
fn extra_element_fails_strict_but_passes_subset() {
    let a = doc_file("rules/empty-element-forms.a.xml");
    let near = doc_file("rules/empty-element-forms.near.xml");
    let strict = xml::compare(&a, &near, &CompareOptions::default());
    assert_eq!(strict.mismatches.len(), 1);
    assert_eq!(strict.mismatches[0].kind, MismatchKind::UnexpectedElement);
    let subset = CompareOptions {
        subset: true,
        ..CompareOptions::default()
    };
    assert!(xml::compare(&a, &near, &subset).mismatches.is_empty());
    // Missing is still missing in subset mode.
    assert_eq!(xml::compare(&near, &a, &subset).mismatches.len(), 1);
}

#[test]
fn order_change_fails_ordered_but_passes_unordered() {
    let a = doc_file("rules/drop-whitespace-text.a.xml");
    let near = doc_file("rules/drop-whitespace-text.near.xml");
    let ordered = xml::compare(&a, &near, &CompareOptions::default());
    assert_eq!(ordered.mismatches.len(), 1, "{}", listing(&ordered));
    assert_eq!(ordered.mismatches[0].kind, MismatchKind::Order);
    let unordered = CompareOptions {
        unordered: vec![Path::parse("//t:Personas").unwrap()],
        ..CompareOptions::default()
    };
    assert!(xml::compare(&a, &near, &unordered).mismatches.is_empty());
}

#[test]
fn inner_whitespace_is_kept_and_trim_can_be_turned_off() {
    let keep = ParseOptions {
        trim_text: false,
        ..ParseOptions::default()
    };
    let a = xml::parse(&read("rules/trim-text.a.xml"), &keep).unwrap();
    let b = xml::parse(&read("rules/trim-text.b.xml"), &keep).unwrap();
    let c = xml::compare(&a, &b, &CompareOptions::default());
    assert_eq!(c.mismatches.len(), 1);
    assert_eq!(c.mismatches[0].kind, MismatchKind::Text);
}

#[test]
fn qname_values_compare_by_namespace_not_prefix() {
    let a = doc_file("rules/qname-values.a.xml");
    let fault_code = Path::parse("/soap:Envelope/soap:Body/soap:Fault/faultcode").unwrap();
    assert_eq!(
        fault_code.select_values(&a),
        ["{http://schemas.microsoft.com/exchange/services/2006/types}ErrorSchemaValidation"]
    );
    let xsi_type = Path::parse("//Value/@xsi:type").unwrap();
    assert_eq!(
        xsi_type.select_values(&a),
        ["{http://www.w3.org/2001/XMLSchema}string"]
    );
    let near = doc_file("rules/qname-values.near.xml");
    let c = xml::compare(&a, &near, &CompareOptions::default());
    assert_eq!(c.mismatches.len(), 1);
    assert_eq!(
        c.mismatches[0].expected_path,
        "/Envelope/Body/Fault/faultcode"
    );
    // An unresolvable prefix is kept verbatim; an unprefixed value takes the default namespace.
    let d = doc(
        r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soap:Body><soap:Fault><faultcode>q:Nope</faultcode></soap:Fault><Value xmlns="urn:d" xsi:type="Client"/></soap:Body></soap:Envelope>"#,
    );
    assert_eq!(fault_code.select_values(&d), ["q:Nope"]);
    assert_eq!(xsi_type.select_values(&d), ["{urn:d}Client"]);
}

// ---------------------------------------------------------------- mismatches and paths

#[test]
fn paths_name_both_sides_with_indexes_only_where_names_repeat() {
    let expected = doc_file("im-item-list.xml");
    let text = String::from_utf8(read("im-item-list.xml")).unwrap();
    let actual = doc(&text.replace(r#"Id="AAMkADk0AAD=""#, r#"Id="AAMkADk0AAE=""#));
    let c = xml::compare(&expected, &actual, &CompareOptions::default());
    assert_eq!(c.mismatches.len(), 1);
    let m = &c.mismatches[0];
    assert_eq!(m.kind, MismatchKind::AttributeValue);
    assert_eq!(
        m.expected_path,
        "/Envelope/Body/GetImItemListResponse/ImItemList/Groups/ImGroup[3]/ExchangeStoreId/@Id"
    );
    assert_eq!(m.actual_path, m.expected_path);
    assert_eq!(m.expected.as_deref(), Some("AAMkADk0AAD="));
    assert_eq!(m.actual.as_deref(), Some("AAMkADk0AAE="));
    assert_eq!(
        m.expected_pos.map(|p| (p.line, p.col)),
        Some((28, 30)),
        "position of the Id attribute in the expected text"
    );
    assert_eq!(
        m.message,
        "attribute `Id`: expected `AAMkADk0AAD=`, found `AAMkADk0AAE=`"
    );
}

#[test]
fn all_mismatches_are_reported_in_expected_order() {
    let e = env(
        r#"<m:R ResponseClass="Error"><m:MessageText>The specified Im Contact Id is invalid.</m:MessageText><m:ResponseCode>ErrorInvalidImContactId</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey></m:R>"#,
    );
    let a = env(
        r#"<m:R ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey><m:Extra/></m:R>"#,
    );
    let c = xml::compare(&e, &a, &CompareOptions::default());
    assert_eq!(
        listing(&c),
        "attribute-value /Envelope/Body/R/@ResponseClass | /Envelope/Body/R/@ResponseClass | attribute `ResponseClass`: expected `Error`, found `Success`\n\
         missing-element /Envelope/Body/R/MessageText | /Envelope/Body/R | element `m:MessageText` missing\n\
         text /Envelope/Body/R/ResponseCode | /Envelope/Body/R/ResponseCode | expected `ErrorInvalidImContactId`, found `NoError`\n\
         unexpected-element /Envelope/Body/R | /Envelope/Body/R/Extra | unexpected element `m:Extra`\n"
    );
}

#[test]
fn one_missing_element_in_a_long_list_is_one_mismatch() {
    let items: String = (0..20)
        .map(|i| format!("<t:Message><t:Subject>s{i}</t:Subject></t:Message>"))
        .collect();
    let mut fewer = String::new();
    for i in (0..20).filter(|&i| i != 7) {
        fewer.push_str(&format!(
            "<t:Message><t:Subject>s{i}</t:Subject></t:Message>"
        ));
    }
    let e = env(&format!("<t:Items><t:Folder/>{items}<t:End/></t:Items>"));
    let a = env(&format!("<t:Items>{fewer}<t:End/></t:Items>"));
    let c = xml::compare(&e, &a, &CompareOptions::default());
    // Same-named siblings pair in order, so the missing Message shows as a value difference
    // per shifted element unless the list is unordered; the missing Folder is one mismatch.
    assert_eq!(c.mismatches[0].kind, MismatchKind::MissingElement);
    assert_eq!(c.mismatches[0].expected_path, "/Envelope/Body/Items/Folder");
    let unordered = CompareOptions {
        unordered: vec![Path::parse("//t:Items").unwrap()],
        ..CompareOptions::default()
    };
    let c = xml::compare(&e, &a, &unordered);
    assert_eq!(listing(&c).lines().count(), 2, "{}", listing(&c));
    assert_eq!(
        c.mismatches[1].expected_path,
        "/Envelope/Body/Items/Message[8]"
    );
    assert_eq!(c.mismatches[1].kind, MismatchKind::MissingElement);
}

#[test]
fn unordered_lists_pair_equal_children_wherever_they_are() {
    let item = |i: usize| format!(r#"<t:I Id="{i}"><t:N>n{i}</t:N></t:I>"#);
    let forward: String = (0..300).map(item).collect();
    let mut backward: String = (0..300).rev().filter(|&i| i != 150).map(item).collect();
    backward.push_str(r#"<t:I Id="x"><t:N>new</t:N></t:I>"#);
    let e = env(&format!("<m:R><t:L>{forward}</t:L></m:R>"));
    let a = env(&format!("<m:R><t:L>{backward}</t:L></m:R>"));
    for subset in [false, true] {
        let opts = CompareOptions {
            unordered: vec![Path::parse("//t:L").unwrap()],
            subset,
            ..CompareOptions::default()
        };
        let c = xml::compare(&e, &a, &opts);
        // Item 150 has no equal partner: it pairs with the new item (the most similar).
        assert_eq!(
            listing(&c).lines().count(),
            2,
            "subset={subset}: {}",
            listing(&c)
        );
        assert_eq!(
            c.mismatches[0].expected_path,
            "/Envelope/Body/R/L/I[151]/@Id"
        );
        assert_eq!(c.mismatches[1].expected_path, "/Envelope/Body/R/L/I[151]/N");
    }
}

#[test]
fn inserted_element_between_different_names_is_one_mismatch() {
    let e = env("<m:R><m:A>1</m:A><m:B>2</m:B><m:C>3</m:C><m:D>4</m:D></m:R>");
    let a = env("<m:R><m:A>1</m:A><m:B>2</m:B><m:X>new</m:X><m:C>3</m:C><m:D>4</m:D></m:R>");
    let c = xml::compare(&e, &a, &CompareOptions::default());
    assert_eq!(
        listing(&c),
        "unexpected-element /Envelope/Body/R | /Envelope/Body/R/X | unexpected element `m:X`\n"
    );
}

#[test]
fn element_name_and_namespace_differences() {
    let e = env("<m:R><t:Foo>1</t:Foo></m:R>");
    let a = env("<m:R><t:Bar>1</t:Bar></m:R>");
    let c = xml::compare(&e, &a, &CompareOptions::default());
    assert_eq!(c.mismatches.len(), 1);
    assert_eq!(c.mismatches[0].kind, MismatchKind::ElementName);
    assert_eq!(
        c.mismatches[0].message,
        "expected element `t:Foo`, found `t:Bar`"
    );

    let https = doc(
        r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><m:R xmlns:m="https://schemas.microsoft.com/exchange/services/2006/messages"/></soap:Body></soap:Envelope>"#,
    );
    let http = env("<m:R/>");
    let c = xml::compare(&http, &https, &CompareOptions::default());
    assert_eq!(c.mismatches.len(), 1);
    assert_eq!(c.mismatches[0].kind, MismatchKind::ElementName);
    assert!(
        c.mismatches[0]
            .message
            .contains("`http://schemas.microsoft.com/exchange/services/2006/messages`")
            && c.mismatches[0]
                .message
                .contains("`https://schemas.microsoft.com/exchange/services/2006/messages`"),
        "{}",
        c.mismatches[0].message
    );
}

#[test]
fn ignore_paths_apply_to_both_sides() {
    let e =
        env(r#"<m:R><t:Id Id="a" ChangeKey="k1"/><t:Stamp>1</t:Stamp><t:Keep>x</t:Keep></m:R>"#);
    let a = env(
        r#"<m:R><t:Id Id="a" ChangeKey="k2"/><t:Keep>x</t:Keep><t:Stamp>2</t:Stamp><t:Stamp>3</t:Stamp></m:R>"#,
    );
    let opts = CompareOptions {
        ignore: vec![
            Path::parse("//t:Stamp").unwrap(),
            Path::parse("//t:Id/@ChangeKey").unwrap(),
        ],
        ..CompareOptions::default()
    };
    let c = xml::compare(&e, &a, &opts);
    assert!(c.mismatches.is_empty(), "{}", listing(&c));
    assert!(
        !xml::compare(&e, &a, &CompareOptions::default())
            .mismatches
            .is_empty()
    );
}

// ---------------------------------------------------------------- matchers

fn matcher_case(expected_value: &str, actual_value: &str) -> xml::Comparison {
    let e = env(&format!(
        "<m:R><m:V>{expected_value}</m:V><m:A V=\"{expected_value}\"/></m:R>"
    ));
    let a = env(&format!(
        "<m:R><m:V>{actual_value}</m:V><m:A V=\"{actual_value}\"/></m:R>"
    ));
    xml::compare(&e, &a, &CompareOptions::default())
}

#[test]
fn each_matcher_has_a_pass_and_a_fail_case() {
    let cases: &[(&str, &str, &str)] = &[
        ("{{any}}", "whatever", "-"),
        (
            "{{regex Error[A-Z]\\w+}}",
            "ErrorInvalidImContactId",
            "NoError",
        ),
        ("{{regex [0-9]+}}", "123", "123a"),
        ("{{integer}}", "-42", "4.2"),
        ("{{boolean}}", "true", "yes"),
        ("{{boolean}}", "0", "TRUE"),
        (
            "{{datetime}}",
            "2024-02-29T13:05:00Z",
            "2023-02-29T13:05:00Z",
        ),
        (
            "{{datetime}}",
            "2024-01-01T00:00:00.123+01:00",
            "2024-01-01",
        ),
        ("{{base64}}", "AAMkAGI2AAA=", "AAMkAGI2AAA"),
        (
            "{{ews_id}}",
            "AQMkADAwATM0MDAAMS1iNWRmLWYzYzAtMDACLTAwCgBGAAAD",
            "not an id!",
        ),
        ("{{bind x}}", "anything", "-"),
        ("{{bind n integer}}", "17", "seventeen"),
        ("{{bind c regex [a-z]+}}", "abc", "ABC"),
    ];
    for (matcher, pass, fail) in cases {
        let ok = matcher_case(matcher, pass);
        assert!(
            ok.mismatches.is_empty(),
            "{matcher} vs {pass}: {}",
            listing(&ok)
        );
        if *fail != "-" {
            let bad = matcher_case(matcher, fail);
            assert_eq!(
                bad.mismatches.len(),
                2,
                "{matcher} vs {fail}: {}",
                listing(&bad)
            );
            assert!(
                bad.mismatches
                    .iter()
                    .all(|m| m.kind == MismatchKind::Matcher)
            );
            assert_eq!(bad.mismatches[0].expected_path, "/Envelope/Body/R/V");
            assert_eq!(bad.mismatches[1].expected_path, "/Envelope/Body/R/A/@V");
        }
    }
}

#[test]
fn any_matches_empty_and_ignore_skips_the_subtree_but_not_the_element() {
    let e = env("<m:R><m:V>{{any}}</m:V><m:S>{{ignore}}</m:S></m:R>");
    let a = env(r#"<m:R><m:V/><m:S Foo="1"><t:Deep><t:Er/></t:Deep></m:S></m:R>"#);
    assert!(
        xml::compare(&e, &a, &CompareOptions::default())
            .mismatches
            .is_empty()
    );
    let gone = env("<m:R><m:V/></m:R>");
    let c = xml::compare(&e, &gone, &CompareOptions::default());
    assert_eq!(c.mismatches.len(), 1);
    assert_eq!(c.mismatches[0].kind, MismatchKind::MissingElement);
}

#[test]
fn bind_collects_values_and_flags_a_conflicting_second_value() {
    let e = env(r#"<m:R><t:Id Id="{{bind gid ews_id}}"/><t:Again Id="{{bind gid}}"/></m:R>"#);
    let a = env(r#"<m:R><t:Id Id="AAMk"/><t:Again Id="AAMk"/></m:R>"#);
    let c = xml::compare(&e, &a, &CompareOptions::default());
    assert!(c.mismatches.is_empty());
    assert_eq!(c.bound.get("gid").map(String::as_str), Some("AAMk"));
    let b = env(r#"<m:R><t:Id Id="AAMk"/><t:Again Id="AAMl"/></m:R>"#);
    let c = xml::compare(&e, &b, &CompareOptions::default());
    assert_eq!(c.mismatches.len(), 1);
    assert_eq!(c.mismatches[0].kind, MismatchKind::Matcher);
    assert_eq!(c.mismatches[0].expected_path, "/Envelope/Body/R/Again/@Id");
}

#[test]
fn matcher_tokens_must_be_the_whole_value() {
    let c = matcher_case("id-{{any}}", "id-7");
    assert_eq!(c.mismatches.len(), 2);
    assert!(c.mismatches.iter().all(|m| m.kind != MismatchKind::Matcher));
    assert!(xml::parse_matcher("regex (").is_err());
    assert!(xml::MATCHER_WORDS.contains(&"ews_id"));
}

// ---------------------------------------------------------------- errors with positions

fn parse_err(text: &[u8]) -> (XmlErrorKind, u32, u32) {
    let e = xml::parse(text, &ParseOptions::default()).unwrap_err();
    (e.kind, e.pos.line, e.pos.col)
}

#[test]
fn malformed_input_errors_point_at_the_problem() {
    use XmlErrorKind::*;
    assert_eq!(parse_err(b"<a>\n  <b>\n  </c>\n</a>"), (Malformed, 3, 3));
    assert_eq!(parse_err(b"<a>\n  <b>text"), (Malformed, 2, 10));
    assert_eq!(parse_err(b"<a>&nbsp;</a>"), (Malformed, 1, 4));
    assert_eq!(parse_err(b"<a>\n <p:b/></a>"), (Malformed, 2, 2));
    assert_eq!(parse_err(b"<a x='1' x='2'/>"), (Malformed, 1, 10));
    assert_eq!(
        parse_err(b"<a xmlns:p='u' xmlns:q='u' p:x='1' q:x='2'/>"),
        (Malformed, 1, 36)
    );
    assert_eq!(parse_err(b"<a/><b/>"), (Malformed, 1, 5));
    assert_eq!(parse_err(b"<a/>junk"), (Malformed, 1, 5));
    assert_eq!(parse_err(b"<a>\n\xC3\xA4\xFF</a>"), (Encoding, 2, 2));
    assert_eq!(parse_err(b"  \n "), (Empty, 2, 2));
    assert_eq!(parse_err(b"<!DOCTYPE a SYSTEM 'x.dtd'><a/>"), (Dtd, 1, 1));
    let deep = "<a>".repeat(600);
    let (kind, line, col) = parse_err(deep.as_bytes());
    assert_eq!((kind, line, col), (TooLarge, 1, 512 * 3 + 1));
    let err = xml::parse(b"<a>\n  <b>\n  </c>\n</a>", &ParseOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string().split(':').take(2).collect::<Vec<_>>(),
        ["3", "3"]
    );
}

#[test]
fn positions_of_elements_and_attributes_are_line_and_column() {
    let d = doc("<a>\n  <b x=\"1\"\n     y=\"2\"/>\n</a>");
    let xml::Node::Element(b) = &d.root.children[0] else {
        panic!("b")
    };
    assert_eq!((b.pos.line, b.pos.col), (2, 3));
    assert_eq!((b.attrs[0].pos.line, b.attrs[0].pos.col), (2, 6));
    assert_eq!((b.attrs[1].pos.line, b.attrs[1].pos.col), (3, 6));
}

// ---------------------------------------------------------------- pretty printing and diff

#[test]
fn pretty_uses_stable_prefixes_and_parses_back_equal() {
    let d = doc_file("im-item-list.xml");
    let text = xml::pretty(&d);
    check_golden_text("im-item-list.pretty.xml", &text);
    let back = doc(&text);
    assert!(
        xml::compare(&d, &back, &CompareOptions::default())
            .mismatches
            .is_empty()
    );
    assert_eq!(xml::pretty(&back), text);
    for rule in xml::RULES.iter().filter(|r| r.name != "refuse-dtd") {
        for side in ["a", "b", "near"] {
            let d = doc_file(&format!("rules/{}.{side}.xml", rule.name));
            let text = xml::pretty(&d);
            assert_eq!(xml::pretty(&doc(&text)), text, "{} {side}", rule.name);
        }
    }
    let q = xml::pretty(&doc_file("rules/qname-values.b.xml"));
    assert!(
        q.contains("<faultcode>t:ErrorSchemaValidation</faultcode>"),
        "{q}"
    );
    assert!(q.contains(r#"xsi:type="xs:string""#), "{q}");
}

#[test]
fn diff_shows_real_differences_only() {
    let e = env(
        r#"<m:R><t:Id Id="{{any}}" ChangeKey="{{base64}}"/><t:When>{{datetime}}</t:When><m:ResponseCode>ErrorInvalidImContactId</m:ResponseCode></m:R>"#,
    );
    let a = env(
        r#"<m:R><t:Id Id="AAMkReal=" ChangeKey="CQAAAA=="/><t:When>2024-05-01T10:00:00Z</t:When><m:ResponseCode>NoError</m:ResponseCode></m:R>"#,
    );
    let diff = xml::render_diff(&e, &a, &CompareOptions::default(), &DiffOptions::default());
    check_golden_text("diff-any-matched.txt", &diff);
    assert!(
        !diff.contains("{{any}}") && !diff.contains("{{datetime}}"),
        "{diff}"
    );
    assert!(diff.contains("-      <m:ResponseCode>ErrorInvalidImContactId</m:ResponseCode>"));
    assert!(diff.contains("+      <m:ResponseCode>NoError</m:ResponseCode>"));
    assert!(diff.starts_with("--- expected\n+++ actual\n@@ "));
    let changed: Vec<&str> = diff
        .lines()
        .skip(2)
        .filter(|l| l.starts_with('-') || l.starts_with('+'))
        .collect();
    assert_eq!(changed.len(), 2, "{diff}");

    let same = xml::render_diff(&a, &a, &CompareOptions::default(), &DiffOptions::default());
    assert!(same.is_empty());
}

#[test]
fn diff_follows_actual_order_for_unordered_and_keeps_subset_extras_quiet() {
    let e = env("<m:R><t:L><t:I>1</t:I><t:I>2</t:I><t:I>3</t:I></t:L><m:Code>A</m:Code></m:R>");
    let a =
        env("<m:R><t:L><t:I>3</t:I><t:X/><t:I>1</t:I><t:I>2</t:I></t:L><m:Code>B</m:Code></m:R>");
    let opts = CompareOptions {
        unordered: vec![Path::parse("//t:L").unwrap()],
        subset: true,
        ..CompareOptions::default()
    };
    let diff = xml::render_diff(&e, &a, &opts, &DiffOptions::default());
    let changed: Vec<&str> = diff
        .lines()
        .skip(2)
        .filter(|l| l.starts_with('-') || l.starts_with('+'))
        .collect();
    assert_eq!(
        changed,
        ["-      <m:Code>A</m:Code>", "+      <m:Code>B</m:Code>"],
        "{diff}"
    );
}

#[test]
fn diff_leaves_ignored_paths_out_on_both_sides() {
    let e = env("<m:R><t:Stamp>1</t:Stamp><m:Code>A</m:Code></m:R>");
    let a = env(r#"<m:R><t:Stamp>2</t:Stamp><m:Code Extra="x">B</m:Code></m:R>"#);
    let opts = CompareOptions {
        ignore: vec![
            Path::parse("//t:Stamp").unwrap(),
            Path::parse("//m:Code/@Extra").unwrap(),
        ],
        ..CompareOptions::default()
    };
    let diff = xml::render_diff(&e, &a, &opts, &DiffOptions::default());
    assert!(!diff.contains("Stamp") && !diff.contains("Extra"), "{diff}");
    assert!(
        diff.contains("-      <m:Code>A</m:Code>\n+      <m:Code>B</m:Code>\n"),
        "{diff}"
    );
}

#[test]
fn a_document_holding_matcher_tokens_equals_itself() {
    let d = env(r#"<m:R><m:V>{{integer}}</m:V><m:W A="{{regex (}}"/></m:R>"#);
    assert!(
        xml::compare(&d, &d, &CompareOptions::default())
            .mismatches
            .is_empty()
    );
}

#[test]
fn diff_is_capped_and_colored_on_request() {
    let many: String = (0..300).map(|i| format!("<t:V>{i}</t:V>")).collect();
    let other: String = (0..300).map(|i| format!("<t:V>x{i}</t:V>")).collect();
    let e = env(&format!("<m:R>{many}</m:R>"));
    let a = env(&format!("<m:R>{other}</m:R>"));
    let opts = DiffOptions {
        max_lines: 50,
        ..DiffOptions::default()
    };
    let diff = xml::render_diff(&e, &a, &CompareOptions::default(), &opts);
    let lines: Vec<&str> = diff.lines().collect();
    assert_eq!(lines.len(), 51);
    assert!(lines[50].starts_with("… ") && lines[50].ends_with(" more diff lines elided"));
    assert!(!diff.contains('\x1b'));
    let colored = xml::render_diff(
        &e,
        &a,
        &CompareOptions::default(),
        &DiffOptions {
            color: true,
            ..opts
        },
    );
    assert!(
        colored.contains("\x1b[31m-")
            && colored.contains("\x1b[32m+")
            && colored.contains("\x1b[36m@@")
    );
}

// ---------------------------------------------------------------- robustness

/// Thousands of deterministic mutations of a real response: parse, compare, pretty and diff
/// must never panic, and whatever parses must print back to an equal document.
#[test]
fn mutated_responses_never_panic() {
    let base = read("im-item-list.xml");
    let original = doc_file("im-item-list.xml");
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let alphabet = b"<>/=\"'&;:#x![]-? \n\tabcAB01\xC3\xA4\xFF{}";
    for round in 0..3000 {
        let mut bytes = base.clone();
        let edits = 1 + (next() % 4) as usize;
        for _ in 0..edits {
            let at = (next() as usize) % (bytes.len() + 1);
            match next() % 4 {
                0 if at < bytes.len() => {
                    bytes.remove(at);
                }
                1 => bytes.insert(at, alphabet[(next() as usize) % alphabet.len()]),
                2 if at < bytes.len() => bytes[at] = alphabet[(next() as usize) % alphabet.len()],
                _ => {
                    let len = (next() as usize) % 40;
                    let end = (at + len).min(bytes.len());
                    let chunk: Vec<u8> = bytes[at..end].to_vec();
                    let to = (next() as usize) % (bytes.len() + 1);
                    bytes.splice(to..to, chunk);
                }
            }
        }
        let Ok(d) = xml::parse(&bytes, &ParseOptions::default()) else {
            continue;
        };
        let text = xml::pretty(&d);
        let back = xml::parse(text.as_bytes(), &ParseOptions::default())
            .unwrap_or_else(|e| panic!("round {round}: pretty output does not parse: {e}\n{text}"));
        let same = xml::compare(&d, &back, &CompareOptions::default());
        assert!(
            same.mismatches.is_empty(),
            "round {round}: {}",
            listing(&same)
        );
        let _ = xml::compare(&original, &d, &CompareOptions::default());
        let _ = xml::render_diff(
            &original,
            &d,
            &CompareOptions::default(),
            &DiffOptions::default(),
        );
    }
}

// ---------------------------------------------------------------- echoed values keep spaces

/// Rule `trim-text`: whitespace at a value's ends goes only when it holds a line break
/// (indentation of pretty-printed XML, multi-line YAML expectations); spaces beside the value
/// on its line are part of it. Goldens under `echoed-spaces/`, both directions.
#[test]
fn echoed_values_keep_their_spaces_while_indentation_goes() {
    let expected = doc_file("echoed-spaces/expected.xml");
    for equal in [
        "echoed-spaces/actual-exact.xml",
        "echoed-spaces/actual-pretty.xml",
    ] {
        let c = xml::compare(&expected, &doc_file(equal), &CompareOptions::default());
        assert!(c.mismatches.is_empty(), "{equal}:\n{}", listing(&c));
    }
    // A server that pads the echoed name fails, whichever end the spaces are at.
    for (actual, golden) in [
        (
            "echoed-spaces/actual-padded.xml",
            "echoed-spaces/padded.txt",
        ),
        (
            "echoed-spaces/actual-trailing-space.xml",
            "echoed-spaces/trailing-space.txt",
        ),
    ] {
        let c = xml::compare(&expected, &doc_file(actual), &CompareOptions::default());
        assert_eq!(c.mismatches.len(), 1, "{actual}:\n{}", listing(&c));
        assert_eq!(c.mismatches[0].kind, MismatchKind::Text);
        check_golden_text(golden, &listing(&c));
    }
    // The other direction: a name sent with spaces must come back with them.
    let padded = doc_file("echoed-spaces/expected-padded.xml");
    let c = xml::compare(
        &padded,
        &doc_file("echoed-spaces/actual-exact.xml"),
        &CompareOptions::default(),
    );
    assert_eq!(c.mismatches.len(), 1, "{}", listing(&c));
    check_golden_text("echoed-spaces/trimmed.txt", &listing(&c));
    let c = xml::compare(
        &padded,
        &doc_file("echoed-spaces/actual-padded.xml"),
        &CompareOptions::default(),
    );
    assert!(c.mismatches.is_empty(), "{}", listing(&c));
    // A character reference is content, never indentation; the pretty print keeps such spaces.
    let d = doc("<a>&#10;x <b/> y </a>");
    let text: Vec<_> = d
        .root
        .children
        .iter()
        .filter_map(|n| match n {
            xml::Node::Text(t) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(text, ["\nx ", " y "]);
    let back = doc(&xml::pretty(&d));
    let same = xml::compare(&d, &back, &CompareOptions::default());
    assert!(same.mismatches.is_empty(), "{}", xml::pretty(&d));
    assert_eq!(back.root.children.len(), 3);
}

// ---------------------------------------------------------------- differs

fn differs_case(expected: &str, actual: &str, earlier: &[(&str, &str)]) -> xml::Comparison {
    let e = env(&format!(
        r#"<m:R><t:ExchangeStoreId Id="g1" ChangeKey="{expected}"/></m:R>"#
    ));
    let a = env(&format!(
        r#"<m:R><t:ExchangeStoreId Id="g1" ChangeKey="{actual}"/></m:R>"#
    ));
    let earlier = earlier
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    xml::compare_with(&e, &a, &CompareOptions::default(), &earlier)
}

/// A ChangeKey that does not change is caught: `{{differs NAME [TYPE]}}` requires a value other
/// than the earlier capture or binding `NAME` (and of TYPE).
#[test]
fn differs_catches_a_change_key_that_does_not_change() {
    let old = [("old_ck", "EgAAAAEAAAA=")];
    // A new key passes.
    let c = differs_case("{{differs old_ck base64}}", "EgAAAAIAAAA=", &old);
    assert!(c.mismatches.is_empty(), "{}", listing(&c));
    // The same key fails, naming the earlier value.
    let c = differs_case("{{differs old_ck base64}}", "EgAAAAEAAAA=", &old);
    assert_eq!(c.mismatches.len(), 1, "{}", listing(&c));
    let m = &c.mismatches[0];
    assert_eq!(m.kind, MismatchKind::Matcher);
    assert_eq!(
        m.expected_path,
        "/Envelope/Body/R/ExchangeStoreId/@ChangeKey"
    );
    assert!(
        m.message.contains("unchanged") && m.message.contains("old_ck"),
        "{}",
        m.message
    );
    assert_eq!(
        m.expected.as_deref(),
        Some("a value other than `EgAAAAEAAAA=`")
    );
    // The type still applies.
    let c = differs_case("{{differs old_ck base64}}", "not base64!", &old);
    assert_eq!(c.mismatches.len(), 1, "{}", listing(&c));
    // Without the earlier value it can never pass.
    let c = differs_case("{{differs old_ck}}", "EgAAAAIAAAA=", &[]);
    assert_eq!(c.mismatches.len(), 1);
    assert!(
        c.mismatches[0]
            .message
            .contains("no earlier value `old_ck`")
    );
    let plain = xml::compare(
        &env(r#"<m:R><t:ExchangeStoreId Id="g1" ChangeKey="{{differs old_ck}}"/></m:R>"#),
        &env(r#"<m:R><t:ExchangeStoreId Id="g1" ChangeKey="x"/></m:R>"#),
        &CompareOptions::default(),
    );
    assert_eq!(plain.mismatches.len(), 1);
    // `bind NEW differs OLD TYPE` checks and binds the new value.
    let c = differs_case(
        "{{bind new_ck differs old_ck base64}}",
        "EgAAAAIAAAA=",
        &old,
    );
    assert!(c.mismatches.is_empty(), "{}", listing(&c));
    assert_eq!(
        c.bound.get("new_ck").map(String::as_str),
        Some("EgAAAAIAAAA=")
    );
    let c = differs_case(
        "{{bind new_ck differs old_ck base64}}",
        "EgAAAAEAAAA=",
        &old,
    );
    assert_eq!(c.mismatches.len(), 1);
    // The diff shows the unchanged key as the difference; a passing one prints no diff.
    let e = env(r#"<m:R><t:ExchangeStoreId Id="g1" ChangeKey="{{differs old_ck base64}}"/></m:R>"#);
    let a = env(r#"<m:R><t:ExchangeStoreId Id="g1" ChangeKey="EgAAAAEAAAA="/></m:R>"#);
    let earlier = old
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let diff = xml::render_diff_with(
        &e,
        &a,
        &CompareOptions::default(),
        &DiffOptions::default(),
        &earlier,
    );
    assert!(diff.contains("ChangeKey"), "{diff}");
    let fresh = env(r#"<m:R><t:ExchangeStoreId Id="g1" ChangeKey="EgAAAAIAAAA="/></m:R>"#);
    let none = xml::render_diff_with(
        &e,
        &fresh,
        &CompareOptions::default(),
        &DiffOptions::default(),
        &earlier,
    );
    assert!(none.is_empty(), "{none}");
}

/// The IM cases use `{{differs ...}}` where Exchange documents a new ChangeKey: a server that
/// never changes a group's ChangeKey fails them (here: the renamed group of
/// `set_im_group/renames_group` with the key it had when created).
#[test]
fn im_cases_require_a_new_change_key_after_rename_and_membership_changes() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../cases/im");
    for (file, old) in [
        ("set_im_group/renames_group.yaml", "group.change_key"),
        (
            "remove_im_contact_from_group/removes_member.yaml",
            "group.change_key",
        ),
        (
            "add_new_im_contact_to_group/adds_contact_to_group.yaml",
            "group.change_key",
        ),
        (
            "add_im_contact_to_group/adds_existing_contact.yaml",
            "group_b.change_key",
        ),
        ("flows/group_lifecycle.yaml", "group_a_member_ck"),
    ] {
        let text = std::fs::read_to_string(root.join(file)).expect("case file");
        assert!(
            text.contains(&format!("{{{{differs {old} base64}}}}")),
            "{file} should require a ChangeKey different from `{old}`"
        );
    }
    let unchanged = "EgAAAAEAAAA=";
    let e = env(
        r#"<m:GetImItemsResponse ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:ImItemList><t:Groups><t:ImGroup><t:DisplayName>renamed</t:DisplayName><t:GroupType>IPM.DistList.MOC.UserGroup</t:GroupType><t:ExchangeStoreId Id="AAMkAGQ=" ChangeKey="{{differs group_ck base64}}"/></t:ImGroup></t:Groups></m:ImItemList></m:GetImItemsResponse>"#,
    );
    let quirky = env(&format!(
        r#"<m:GetImItemsResponse ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:ImItemList><t:Groups><t:ImGroup><t:DisplayName>renamed</t:DisplayName><t:GroupType>IPM.DistList.MOC.UserGroup</t:GroupType><t:ExchangeStoreId Id="AAMkAGQ=" ChangeKey="{unchanged}"/></t:ImGroup></t:Groups></m:ImItemList></m:GetImItemsResponse>"#
    ));
    let earlier = [("group_ck".to_string(), unchanged.to_string())].into();
    let c = xml::compare_with(&e, &quirky, &CompareOptions::default(), &earlier);
    assert_eq!(c.mismatches.len(), 1, "{}", listing(&c));
    assert!(
        c.mismatches[0]
            .actual_path
            .ends_with("ExchangeStoreId/@ChangeKey")
    );
}
