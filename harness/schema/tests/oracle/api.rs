//! The public API as its users rely on it: whole envelopes, bare elements, the event
//! validator, both wordings of a violation, the version list and operation names, bad input.

use ews_schema::{Attribute, Schema, Validator, Violation, ViolationKind, XMLNS_NS};

const M: &str = "http://schemas.microsoft.com/exchange/services/2006/messages";
const T: &str = "http://schemas.microsoft.com/exchange/services/2006/types";
const S: &str = "http://schemas.xmlsoap.org/soap/envelope/";

fn envelope(header: &str, body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<s:Envelope xmlns:s="{S}" xmlns:m="{M}" xmlns:t="{T}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<s:Header>{header}</s:Header>
<s:Body>{body}</s:Body>
</s:Envelope>"#
    )
}

fn check(xml: &str) -> Vec<Violation> {
    Schema::ews()
        .validate_document(xml.as_bytes())
        .expect("well-formed")
}

fn one(xml: &str) -> Violation {
    let v = check(xml);
    assert_eq!(v.len(), 1, "expected one violation, got {v:#?}");
    v.into_iter().next().expect("one")
}

const GET_FOLDER: &str = r#"<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>"#;

#[test]
fn a_valid_request_with_every_common_header_has_no_violations() {
    let headers = r#"<t:RequestServerVersion Version="Exchange2013_SP1" s:mustUnderstand="1"/>
<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>bob@example.com</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>
<t:MailboxCulture>en-US</t:MailboxCulture>
<t:TimeZoneContext><t:TimeZoneDefinition Id="W. Europe Standard Time"/></t:TimeZoneContext>
<wsa:Action xmlns:wsa="http://www.w3.org/2005/08/addressing">ignored: not an EWS header</wsa:Action>"#;
    assert_eq!(check(&envelope(headers, GET_FOLDER)), vec![]);
}

#[test]
fn the_brief_example_wording_unexpected_child_with_expected_list() {
    let body = r#"<m:GetFolderResponse><m:ResponseMessages><m:GetFolderResponseMessage ResponseClass="Success">
<m:ResponseCode>NoError</m:ResponseCode><m:Folders><t:Folder>
<t:FolderId Id="AAA=" ChangeKey="AQ=="/>
<t:Foo/>
</t:Folder></m:Folders></m:GetFolderResponseMessage></m:ResponseMessages></m:GetFolderResponse>"#;
    let v = one(&envelope("", body));
    assert_eq!((v.line, v.col), (7, 1), "position of <t:Foo/>");
    let text = v.to_string();
    assert!(
        text.starts_with(
            "7:1: /Envelope/Body/GetFolderResponse/ResponseMessages/GetFolderResponseMessage/Folders/t:Folder: \
             unexpected t:Foo after t:FolderId; expected one of t:ParentFolderId, t:FolderClass, t:DisplayName, t:TotalCount, t:ChildFolderCount"
        ),
        "{text}"
    );
    let ex = v.exchange_text();
    assert!(
        ex.starts_with(&format!(
            "The element 'Folder' in namespace '{T}' has invalid child element 'Foo' in namespace '{T}'. \
             List of possible elements expected: 'ParentFolderId, FolderClass, DisplayName, TotalCount, ChildFolderCount"
        )),
        "{ex}"
    );
    assert!(ex.ends_with(&format!("' in namespace '{T}'.")), "{ex}");
}

#[test]
fn a_bad_enumeration_attribute_uses_the_dotnet_wording() {
    let body = r#"<m:FindItem Traversal="Foo"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds></m:FindItem>"#;
    let v = one(&envelope("", body));
    assert_eq!(
        v.exchange_text(),
        format!(
            "The 'Traversal' attribute is invalid - The value 'Foo' is invalid according to its datatype '{T}:ItemQueryTraversalType' - The Enumeration constraint failed."
        )
    );
    assert!(v.to_string().contains("/Envelope/Body/FindItem: attribute Traversal: 'Foo' is not one of the values of t:ItemQueryTraversalType: Shallow, SoftDeleted, Associated"), "{v}");
}

#[test]
fn im_operation_texts_keep_the_reference_server_shapes() {
    let v = one(&envelope(
        "",
        "<m:AddDistributionGroupToImList><m:SmtpAddress>g@example.com</m:SmtpAddress></m:AddDistributionGroupToImList>",
    ));
    assert_eq!(
        v.exchange_text(),
        format!(
            "The element 'AddDistributionGroupToImList' in namespace '{M}' has incomplete content. List of possible elements expected: 'DisplayName' in namespace '{M}'."
        )
    );
    let v = one(&envelope(
        "",
        "<m:AddImGroup><m:DisplayName></m:DisplayName></m:AddImGroup>",
    ));
    assert_eq!(
        v.exchange_text(),
        format!(
            "The '{M}:DisplayName' element is invalid - The value '' is invalid according to its datatype '{T}:NonEmptyStringType' - The actual length is less than the MinLength value."
        )
    );
    let v = one(&envelope(
        "",
        "<m:SetImListMigrationCompleted><m:ImListMigrationCompleted>yes</m:ImListMigrationCompleted></m:SetImListMigrationCompleted>",
    ));
    assert_eq!(
        v.exchange_text(),
        format!(
            "The '{M}:ImListMigrationCompleted' element is invalid - The value 'yes' is invalid according to its datatype 'http://www.w3.org/2001/XMLSchema:boolean' - The string 'yes' is not a valid Boolean value."
        )
    );
    let v = one(&envelope(
        "",
        r#"<m:RemoveImGroup><m:GroupId ChangeKey="x"/></m:RemoveImGroup>"#,
    ));
    assert_eq!(v.exchange_text(), "The required attribute 'Id' is missing.");
    let v = one(&envelope(
        "",
        r#"<m:RemoveImGroup><m:GroupId Id="x" Foo="1"/></m:RemoveImGroup>"#,
    ));
    assert_eq!(v.exchange_text(), "The 'Foo' attribute is not declared.");
    let v = one(&envelope(
        "",
        r#"<m:RemoveImGroup><m:GroupId Id="x">text</m:GroupId></m:RemoveImGroup>"#,
    ));
    assert_eq!(
        v.exchange_text(),
        format!("The element '{M}:GroupId' cannot contain text. Content model is empty.")
    );
    // ContactId is in the messages namespace; t:ContactId is the documented mistake.
    let v = one(&envelope(
        "",
        r#"<m:RemoveContactFromImList><t:ContactId Id="x"/></m:RemoveContactFromImList>"#,
    ));
    assert_eq!(
        v.exchange_text(),
        format!(
            "The element 'RemoveContactFromImList' in namespace '{M}' has invalid child element 'ContactId' in namespace '{T}'. List of possible elements expected: 'ContactId' in namespace '{M}'."
        )
    );
}

#[test]
fn soap_header_entries_are_validated() {
    let v = one(&envelope(
        r#"<t:RequestServerVersion Version="Exchange2099"/>"#,
        GET_FOLDER,
    ));
    assert_eq!(
        v.exchange_text(),
        format!(
            "The 'Version' attribute is invalid - The value 'Exchange2099' is invalid according to its datatype '{T}:ExchangeVersionType' - The Enumeration constraint failed."
        )
    );
    assert!(
        v.path.ends_with("/Envelope/Header/t:RequestServerVersion"),
        "{}",
        v.path
    );
    let v = one(&envelope(r#"<t:RequestServerVersion/>"#, GET_FOLDER));
    assert_eq!(
        v.exchange_text(),
        "The required attribute 'Version' is missing."
    );
    let v = one(&envelope(
        r#"<t:MailboxCulture>not a culture!</t:MailboxCulture>"#,
        GET_FOLDER,
    ));
    assert!(v.exchange_text().starts_with(&format!("The '{T}:MailboxCulture' element is invalid - The value 'not a culture!' is invalid according to its datatype 'http://www.w3.org/2001/XMLSchema:language'")), "{}", v.exchange_text());
    let v = one(&envelope(r#"<t:ExchangeImpersonation/>"#, GET_FOLDER));
    assert_eq!(
        v.exchange_text(),
        format!(
            "The element 'ExchangeImpersonation' in namespace '{T}' has incomplete content. List of possible elements expected: 'ConnectingSID' in namespace '{T}'."
        )
    );
}

#[test]
fn the_envelope_structure_is_checked() {
    let doc = format!(r#"<s:Envelope xmlns:s="{S}"><s:Body/><s:Header/></s:Envelope>"#);
    let v = one(&doc);
    assert!(
        matches!(&v.kind, ViolationKind::UnexpectedElement { child, .. } if child.local == "Header"),
        "{v}"
    );
    assert_eq!(
        v.exchange_text(),
        format!(
            "The element 'Envelope' in namespace '{S}' has invalid child element 'Header' in namespace '{S}'."
        )
    );
    let v = one(&format!(
        r#"<s:Envelope xmlns:s="{S}"><s:Header/></s:Envelope>"#
    ));
    assert_eq!(
        v.exchange_text(),
        format!(
            "The element 'Envelope' in namespace '{S}' has incomplete content. List of possible elements expected: 'Body' in namespace '{S}'."
        )
    );
    let v = one(&format!(
        r#"<s:Envelope xmlns:s="{S}"><s:Body>stray</s:Body></s:Envelope>"#
    ));
    assert!(
        matches!(v.kind, ViolationKind::TextNotAllowed { .. }),
        "{v}"
    );
    // SOAP 1.2 envelopes and default-namespace bodies work the same.
    let doc = format!(
        r#"<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body><GetFolder xmlns="{M}"><FolderShape><BaseShape xmlns="{T}">IdOnly</BaseShape></FolderShape><FolderIds><DistinguishedFolderId xmlns="{T}" Id="inbox"/></FolderIds></GetFolder></env:Body></env:Envelope>"#
    );
    assert_eq!(check(&doc), vec![]);
}

#[test]
fn substitution_groups_abstract_elements_and_types() {
    let props = |inner: &str| {
        envelope(
            "",
            &format!(
                r#"<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>{inner}</t:AdditionalProperties></m:ItemShape><m:ItemIds><t:ItemId Id="AAA="/></m:ItemIds></m:GetItem>"#
            ),
        )
    };
    // t:Path's members, in any mix.
    assert_eq!(
        check(&props(
            r#"<t:FieldURI FieldURI="item:Subject"/><t:IndexedFieldURI FieldURI="contacts:EmailAddress" FieldIndex="EmailAddress1"/><t:ExtendedFieldURI PropertyTag="0x1000" PropertyType="String"/>"#
        )),
        vec![]
    );
    // The abstract head itself is not allowed; the message lists its members.
    let v = one(&props(r#"<t:Path/>"#));
    match &v.kind {
        ViolationKind::AbstractElement {
            element,
            substitutes,
        } => {
            assert_eq!(element.local, "Path");
            let names: Vec<&str> = substitutes.iter().map(|n| n.local.as_str()).collect();
            assert_eq!(names, ["FieldURI", "IndexedFieldURI", "ExtendedFieldURI"]);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        v.to_string().ends_with(
            "t:Path is abstract; use one of t:FieldURI, t:IndexedFieldURI, t:ExtendedFieldURI"
        ),
        "{v}"
    );
    assert_eq!(
        v.exchange_text(),
        format!("The element '{T}:Path' is abstract or its type is abstract.")
    );
    // A bad value inside a member is found (the member's own type is used).
    let v = one(&props(r#"<t:FieldURI FieldURI="item:NoSuchField"/>"#));
    assert!(
        v.exchange_text()
            .contains("'FieldURI' attribute is invalid"),
        "{}",
        v.exchange_text()
    );
    // t:Item's members in CreateItem.
    let create = envelope(
        "",
        r#"<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:Message><t:Subject>a</t:Subject></t:Message><t:CalendarItem><t:Subject>b</t:Subject></t:CalendarItem><t:Contact><t:GivenName>c</t:GivenName></t:Contact><t:Task><t:Subject>d</t:Subject></t:Task></m:Items></m:CreateItem>"#,
    );
    assert_eq!(check(&create), vec![]);
}

#[test]
fn xsi_type_and_xsi_nil() {
    let convert = |alt: &str| {
        envelope(
            "",
            &format!(
                r#"<m:ConvertIdResponse><m:ResponseMessages><m:ConvertIdResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>{alt}</m:ConvertIdResponseMessage></m:ResponseMessages></m:ConvertIdResponse>"#
            ),
        )
    };
    assert_eq!(
        check(&convert(
            r#"<m:AlternateId xsi:type="t:AlternateIdType" Format="EwsId" Id="AAA=" Mailbox="a@example.com"/>"#
        )),
        vec![]
    );
    // Without xsi:type the declared type is abstract.
    let v = one(&convert(r#"<m:AlternateId Format="EwsId"/>"#));
    assert!(matches!(v.kind, ViolationKind::AbstractType { .. }), "{v}");
    // A type that does not derive from the declared one.
    let v = one(&convert(r#"<m:AlternateId xsi:type="t:FolderType"/>"#));
    assert!(matches!(v.kind, ViolationKind::BadXsiType { .. }), "{v}");
    assert!(
        v.exchange_text().starts_with(
            "The xsi:type attribute value 't:FolderType' is not valid for the element"
        ),
        "{}",
        v.exchange_text()
    );
    let v = one(&convert(r#"<m:AlternateId xsi:type="t:NoSuchType"/>"#));
    assert_eq!(
        v.exchange_text(),
        "This is an invalid xsi:type 't:NoSuchType'."
    );
    // An int out of range is reported as .NET does.
    let v = one(&envelope(
        "",
        r#"<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:IndexedPageItemView MaxEntriesReturned="99999999999" Offset="0" BasePoint="Beginning"/><m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds></m:FindItem>"#,
    ));
    assert!(
        v.exchange_text()
            .ends_with("Value was either too large or too small for an Int32."),
        "{}",
        v.exchange_text()
    );
    // xsi:nil on a nillable element is fine and its content must be empty; elsewhere refused.
    let avail = |data: &str| {
        envelope(
            "",
            &format!(
                r#"<m:GetUserAvailabilityRequest><t:TimeZone><t:Bias>0</t:Bias><t:StandardTime><t:Bias>0</t:Bias><t:Time>02:00:00</t:Time><t:DayOrder>1</t:DayOrder><t:Month>10</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek></t:StandardTime><t:DaylightTime><t:Bias>-60</t:Bias><t:Time>02:00:00</t:Time><t:DayOrder>1</t:DayOrder><t:Month>3</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek></t:DaylightTime></t:TimeZone><m:MailboxDataArray>{data}</m:MailboxDataArray><t:FreeBusyViewOptions><t:TimeWindow><t:StartTime>2026-12-01T00:00:00</t:StartTime><t:EndTime>2026-12-02T00:00:00</t:EndTime></t:TimeWindow></t:FreeBusyViewOptions></m:GetUserAvailabilityRequest>"#
            ),
        )
    };
    assert_eq!(check(&avail(r#"<t:MailboxData xsi:nil="true"/>"#)), vec![]);
    let v = one(&avail(
        r#"<t:MailboxData xsi:nil="true"><t:Email><t:Address>a@example.com</t:Address></t:Email></t:MailboxData>"#,
    ));
    assert!(
        matches!(v.kind, ViolationKind::NilWithContent { .. }),
        "{v}"
    );
    // Not nillable: refused, and the content is then validated as usual.
    let v = check(&envelope("", r#"<m:GetFolder xsi:nil="true"/>"#));
    assert!(
        matches!(v[0].kind, ViolationKind::NotNillable { .. }),
        "{v:#?}"
    );
    assert!(
        matches!(v[1].kind, ViolationKind::IncompleteContent { .. }),
        "{v:#?}"
    );
}

#[test]
fn independent_violations_are_all_reported_cascades_are_not() {
    // Two bad values in two items: both reported, in document order.
    let items = (0..2).map(|i| format!("<t:Message><t:Subject>s{i}</t:Subject><t:Sensitivity>Secret{i}</t:Sensitivity></t:Message>")).collect::<String>();
    let body = format!(
        r#"<m:CreateItem MessageDisposition="SaveOnly"><m:Items>{items}</m:Items></m:CreateItem>"#
    );
    let v = check(&envelope("", &body));
    assert_eq!(v.len(), 2, "{v:#?}");
    assert!(
        v[0].exchange_text().contains("'Secret0'") && v[1].exchange_text().contains("'Secret1'")
    );
    // Out-of-order children in one element: one violation for that element, not one per child.
    let body = r#"<m:GetFolder><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape></m:GetFolder>"#;
    let v = check(&envelope("", body));
    assert_eq!(v.len(), 1, "{v:#?}");
    // ... but a bad value inside a child placed after the first error is still found.
    let body = r#"<m:GetFolder><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds><m:FolderShape><t:BaseShape>Everything</t:BaseShape></m:FolderShape></m:GetFolder>"#;
    let v = check(&envelope("", body));
    assert_eq!(v.len(), 2, "{v:#?}");
    assert!(
        matches!(v[1].kind, ViolationKind::InvalidElementValue { .. }),
        "{v:#?}"
    );
}

#[test]
fn at_most_100_violations_are_kept() {
    let items = (0..150)
        .map(|i| format!("<t:Message><t:Sensitivity>No{i}</t:Sensitivity></t:Message>"))
        .collect::<String>();
    let body = format!(
        r#"<m:CreateItem MessageDisposition="SaveOnly"><m:Items>{items}</m:Items></m:CreateItem>"#
    );
    let v = check(&envelope("", &body));
    assert_eq!(v.len(), ews_schema::MAX_VIOLATIONS);
    assert!(v[99].exchange_text().contains("'No99'"));
}

#[test]
fn bare_elements_and_unknown_roots() {
    let bare = format!(
        r#"<m:GetFolder xmlns:m="{M}" xmlns:t="{T}"><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds><t:FolderId Id="AAA="/></m:FolderIds></m:GetFolder>"#
    );
    assert_eq!(check(&bare), vec![]);
    let v = one(&format!(r#"<m:NoSuchOperation xmlns:m="{M}"/>"#));
    assert!(
        matches!(v.kind, ViolationKind::UndeclaredElement { .. }),
        "{v}"
    );
    assert_eq!(
        v.exchange_text(),
        format!("The '{M}:NoSuchOperation' element is not declared.")
    );
    // The https:// namespace of translated documentation pages is not EWS.
    let v = one(&bare.replace("http://schemas", "https://schemas"));
    assert!(
        matches!(v.kind, ViolationKind::UndeclaredElement { .. }),
        "{v}"
    );
}

#[test]
fn not_well_formed_input_is_an_input_error_with_position() {
    let s = Schema::ews();
    let e = s
        .validate_document(b"<a>\n  <b>x</c>\n</a>")
        .expect_err("malformed");
    assert_eq!((e.line, e.col), (2, 7), "{e}");
    let e = s
        .validate_document(b"<a>\n<b>\xff</b></a>")
        .expect_err("not UTF-8");
    assert_eq!((e.line, e.col), (2, 4), "{e}");
    let e = s
        .validate_document(b"<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>")
        .expect_err("DTD");
    assert!(e.message.contains("DOCTYPE"), "{e}");
    assert!(s.validate_document(b"").is_err());
    assert!(s.validate_document(b"<a/><b/>").is_err());
    for junk in [
        &b"\x00\x01\x02"[..],
        b"<<<<",
        b"<a b='1' b='2'/>",
        b"<p:a/>",
        b"</a>",
    ] {
        assert!(s.validate_document(junk).is_err(), "{junk:?}");
    }
}

#[test]
fn the_event_validator_uses_the_callers_positions() {
    let s = Schema::ews();
    let mut v = Validator::new(s);
    let decl = [Attribute {
        ns: XMLNS_NS,
        local: "t",
        value: T,
    }];
    v.start(M, "GetFolder", &decl, 10, 5);
    v.start(M, "FolderShape", &[], 11, 7);
    v.start(T, "BaseShape", &[], 12, 9);
    v.text("IdOnly");
    v.end();
    v.end();
    v.start(M, "FolderIds", &[], 13, 7);
    v.start(
        T,
        "DistinguishedFolderId",
        &[Attribute {
            ns: "",
            local: "Id",
            value: "nowhere",
        }],
        14,
        9,
    );
    v.end();
    v.end();
    v.start(M, "Bogus", &[], 15, 7);
    v.end();
    v.end();
    let violations = v.finish();
    assert_eq!(violations.len(), 2, "{violations:#?}");
    assert_eq!((violations[0].line, violations[0].col), (14, 9));
    assert!(
        violations[0]
            .exchange_text()
            .contains("The value 'nowhere' is invalid according to its datatype"),
        "{}",
        violations[0].exchange_text()
    );
    assert_eq!((violations[1].line, violations[1].col), (15, 7));
    assert_eq!(violations[1].path, "/GetFolder");
    // Unclosed elements at finish are closed: missing content is reported.
    let mut v = Validator::new(s);
    v.start(M, "GetFolder", &[], 1, 1);
    let violations = v.finish();
    assert!(
        matches!(violations[0].kind, ViolationKind::IncompleteContent { .. }),
        "{violations:#?}"
    );
}

#[test]
fn versions_and_operation_names_come_from_the_schema() {
    let s = Schema::ews();
    let versions = s.exchange_versions();
    assert_eq!(versions.first(), Some(&"Exchange2007"));
    assert_eq!(versions.last(), Some(&"V2018_01_08"));
    let pos = |v: &str| versions.iter().position(|x| *x == v).expect(v);
    assert!(pos("Exchange2010") < pos("Exchange2013") && pos("Exchange2013") < pos("Exchange2016"));
    for op in [
        "GetFolder",
        "FindItem",
        "RemoveImContactFromGroup",
        "SetImListMigrationCompleted",
        "GetUserAvailabilityRequest",
    ] {
        assert!(s.is_operation_request(op), "{op}");
    }
    for not in ["GetFolderResponse", "Folder", "ResponseCode", "Nothing", ""] {
        assert!(!s.is_operation_request(not), "{not}");
    }
}

#[test]
fn deep_and_wide_documents_are_handled_without_recursion() {
    // 60,000 nested unknown elements inside a skipped subtree.
    let depth = 60_000;
    let mut doc = format!(
        r#"<m:GetFolder xmlns:m="{M}" xmlns:t="{T}"><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds><t:FolderId Id="A"/></m:FolderIds><x:deep xmlns:x="urn:x">"#
    );
    doc.push_str(&"<x:a>".repeat(depth));
    doc.push_str(&"</x:a>".repeat(depth));
    doc.push_str("</x:deep></m:GetFolder>");
    let v = check(&doc);
    assert_eq!(v.len(), 1, "{v:#?}");
    assert!(
        matches!(&v[0].kind, ViolationKind::UnexpectedElement { child, .. } if child.local == "deep")
    );
    // Deeper than the reader's limit: a clear input error, not a crash.
    let deeper = format!("{}{}", "<a>".repeat(70_000), "</a>".repeat(70_000));
    let e = Schema::ews()
        .validate_document(deeper.as_bytes())
        .expect_err("too deep");
    assert!(e.message.contains("deeper than"), "{e}");
}

#[test]
fn the_schema_is_shareable_across_threads() {
    fn shareable<T: Send + Sync + 'static>(_: &T) {}
    shareable(Schema::ews());
    let handles: Vec<_> = (0..4)
        .map(|i| {
            std::thread::spawn(move || {
                let body = if i % 2 == 0 {
                    GET_FOLDER.to_string()
                } else {
                    GET_FOLDER.replace("Default", "Nope")
                };
                check(&envelope("", &body)).len()
            })
        })
        .collect();
    let counts: Vec<usize> = handles
        .into_iter()
        .map(|h| h.join().expect("no panic"))
        .collect();
    assert_eq!(counts, [0, 1, 0, 1]);
}

#[test]
fn corrupted_documents_never_panic() {
    // Every documentation example, truncated and with bytes replaced at many places: each
    // result is a verdict or an input error, never a panic.
    let schema = Schema::ews();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/doc-examples");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("examples")
        .flat_map(|d| {
            std::fs::read_dir(d.expect("entry").path())
                .into_iter()
                .flatten()
        })
        .map(|f| f.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    files.sort();
    let mut runs = 0;
    for f in files.iter().step_by(3) {
        let bytes = std::fs::read(f).expect("read");
        let n = bytes.len();
        for k in 1..8 {
            let at = n * k / 8;
            let _ = schema.validate_document(&bytes[..at]);
            for junk in [b'<', b'>', b'&', b'"', b'\0', 0xC3, b'x', b'/'] {
                let mut b = bytes.clone();
                b[at] = junk;
                let _ = schema.validate_document(&b);
                runs += 1;
            }
        }
    }
    assert!(runs > 5000, "{runs}");
}

#[test]
fn the_event_validator_resolves_xsi_type_through_declared_prefixes() {
    let s = Schema::ews();
    let run = |declare: bool| {
        let mut v = Validator::new(s);
        let decls = [Attribute {
            ns: XMLNS_NS,
            local: "q",
            value: T,
        }];
        let class = [Attribute {
            ns: "",
            local: "ResponseClass",
            value: "Success",
        }];
        v.start(
            M,
            "ConvertIdResponse",
            if declare { &decls } else { &[] },
            1,
            1,
        );
        v.start(M, "ResponseMessages", &[], 2, 1);
        v.start(M, "ConvertIdResponseMessage", &class, 3, 1);
        v.start(M, "ResponseCode", &[], 4, 1);
        v.text("NoError");
        v.end();
        let attrs = [
            Attribute {
                ns: ews_schema::XSI_NS,
                local: "type",
                value: "q:AlternateIdType",
            },
            Attribute {
                ns: "",
                local: "Format",
                value: "EwsId",
            },
            Attribute {
                ns: "",
                local: "Id",
                value: "AAA=",
            },
            Attribute {
                ns: "",
                local: "Mailbox",
                value: "a@example.com",
            },
        ];
        v.start(M, "AlternateId", &attrs, 5, 1);
        v.end();
        v.end();
        v.end();
        v.end();
        v.finish()
    };
    assert_eq!(run(true), vec![]);
    // Without the declaration the prefix does not resolve.
    let without = run(false);
    assert!(
        without
            .iter()
            .any(|v| matches!(v.kind, ViolationKind::BadXsiType { known: false, .. })),
        "{without:#?}"
    );
}
