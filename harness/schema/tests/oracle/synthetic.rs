//! `Schema::compile` on a small schema written for the XSD features the engine claims (all,
//! nested choice/sequence with counts, extension and restriction chains, simple content,
//! attribute groups, fixed values, wildcards with each processContents, lists, unions, pattern
//! escapes, numeric facets), each instance checked against libxml2's verdict.

use ews_schema::Schema;

use super::xmllint::{self, Verdict};
use super::{abstract_heads_in, agree_with, engine_verdict};

const NS: &str = "urn:synthetic";

const XSD: &str = r###"<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:s="urn:synthetic"
    targetNamespace="urn:synthetic" elementFormDefault="qualified">
  <xs:simpleType name="Code">
    <xs:restriction base="xs:token"><xs:pattern value="[\i-[:]][\c-[:]]*"/><xs:maxLength value="8"/></xs:restriction>
  </xs:simpleType>
  <xs:simpleType name="ShortCode"><xs:restriction base="s:Code"><xs:minLength value="2"/></xs:restriction></xs:simpleType>
  <xs:simpleType name="Ints"><xs:list itemType="xs:int"/></xs:simpleType>
  <xs:simpleType name="ThreeInts"><xs:restriction base="s:Ints"><xs:length value="3"/></xs:restriction></xs:simpleType>
  <xs:simpleType name="IntOrAuto"><xs:union memberTypes="xs:int"><xs:simpleType><xs:restriction base="xs:string"><xs:enumeration value="auto"/></xs:restriction></xs:simpleType></xs:union></xs:simpleType>
  <xs:simpleType name="Price"><xs:restriction base="xs:decimal"><xs:totalDigits value="5"/><xs:fractionDigits value="2"/><xs:minExclusive value="0"/></xs:restriction></xs:simpleType>
  <xs:attributeGroup name="Common">
    <xs:attribute name="id" type="s:Code" use="required"/>
    <xs:attribute name="version" type="xs:string" fixed="1"/>
  </xs:attributeGroup>
  <xs:complexType name="Base" abstract="true">
    <xs:sequence><xs:element name="Name" type="xs:string"/></xs:sequence>
    <xs:attributeGroup ref="s:Common"/>
  </xs:complexType>
  <xs:complexType name="Middle">
    <xs:complexContent><xs:extension base="s:Base">
      <xs:sequence>
        <xs:choice minOccurs="0" maxOccurs="3">
          <xs:element name="A" type="xs:int"/>
          <xs:sequence><xs:element name="B" type="xs:boolean"/><xs:element name="C" type="s:IntOrAuto" minOccurs="0"/></xs:sequence>
        </xs:choice>
        <xs:element name="Tags" type="s:ThreeInts" minOccurs="0"/>
      </xs:sequence>
      <xs:attribute name="when" type="xs:dateTime"/>
    </xs:extension></xs:complexContent>
  </xs:complexType>
  <xs:complexType name="Leaf">
    <xs:complexContent><xs:extension base="s:Middle">
      <xs:sequence>
        <xs:element name="Extra" minOccurs="0">
          <xs:complexType><xs:sequence>
            <xs:any namespace="##other" processContents="skip" minOccurs="0"/>
            <xs:any namespace="urn:lax" processContents="lax" minOccurs="0"/>
            <xs:any namespace="##targetNamespace" processContents="strict" minOccurs="0"/>
          </xs:sequence></xs:complexType>
        </xs:element>
      </xs:sequence>
    </xs:extension></xs:complexContent>
  </xs:complexType>
  <xs:complexType name="Amount">
    <xs:simpleContent><xs:extension base="s:Price"><xs:attribute name="currency" type="s:ShortCode" use="required"/></xs:extension></xs:simpleContent>
  </xs:complexType>
  <xs:complexType name="SmallAmount">
    <xs:simpleContent><xs:restriction base="s:Amount"><xs:maxInclusive value="10"/></xs:restriction></xs:simpleContent>
  </xs:complexType>
  <xs:element name="Item" type="s:Base" abstract="true"/>
  <xs:element name="Thing" type="s:Middle" substitutionGroup="s:Item"/>
  <xs:element name="Gadget" type="s:Leaf" substitutionGroup="s:Thing"/>
  <xs:element name="Note" type="xs:string"/>
  <xs:element name="Order">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="Props">
          <xs:complexType><xs:all>
            <xs:element name="X" type="xs:int"/>
            <xs:element name="Y" type="xs:int" minOccurs="0"/>
            <xs:element name="Z" type="s:SmallAmount"/>
          </xs:all></xs:complexType>
        </xs:element>
        <xs:element ref="s:Item" maxOccurs="unbounded"/>
        <xs:element name="Total" type="s:Amount" nillable="true" minOccurs="0"/>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
</xs:schema>
"###;

/// Instances: (name, Order content after Props).
fn instances() -> Vec<(String, String)> {
    let props = [
        (
            "props-ok",
            "<s:X>1</s:X><s:Y>2</s:Y><s:Z currency=\"EUR\">9.50</s:Z>",
        ),
        (
            "props-any-order",
            "<s:Z currency=\"EUR\">1</s:Z><s:X>1</s:X>",
        ),
        (
            "props-missing-x",
            "<s:Y>2</s:Y><s:Z currency=\"EUR\">1</s:Z>",
        ),
        (
            "props-twice",
            "<s:X>1</s:X><s:X>1</s:X><s:Z currency=\"EUR\">1</s:Z>",
        ),
        (
            "props-z-too-big",
            "<s:X>1</s:X><s:Z currency=\"EUR\">10.01</s:Z>",
        ),
        ("props-z-no-currency", "<s:X>1</s:X><s:Z>1</s:Z>"),
        (
            "props-z-short-currency",
            "<s:X>1</s:X><s:Z currency=\"E\">1</s:Z>",
        ),
        (
            "props-z-digits",
            "<s:X>1</s:X><s:Z currency=\"EUR\">1.234</s:Z>",
        ),
        ("props-z-zero", "<s:X>1</s:X><s:Z currency=\"EUR\">0</s:Z>"),
    ];
    let items = [
        ("thing", r#"<s:Thing id="a1"><s:Name>n</s:Name></s:Thing>"#),
        (
            "gadget-full",
            r#"<s:Gadget id="g" version="1" when="2026-01-01T00:00:00Z"><s:Name>n</s:Name><s:A>1</s:A><s:B>true</s:B><s:C>auto</s:C><s:B>0</s:B><s:Tags>1 2  3</s:Tags><s:Extra><o:x xmlns:o="urn:other"><o:y/></o:x><l:z xmlns:l="urn:lax">free</l:z><s:Note>n</s:Note></s:Extra></s:Gadget>"#,
        ),
        (
            "item-abstract",
            r#"<s:Item id="a"><s:Name>n</s:Name></s:Item>"#,
        ),
        (
            "choice-four-times",
            r#"<s:Thing id="a"><s:Name>n</s:Name><s:A>1</s:A><s:A>2</s:A><s:A>3</s:A><s:A>4</s:A></s:Thing>"#,
        ),
        (
            "c-without-b",
            r#"<s:Thing id="a"><s:Name>n</s:Name><s:C>1</s:C></s:Thing>"#,
        ),
        (
            "c-bad-union",
            r#"<s:Thing id="a"><s:Name>n</s:Name><s:B>1</s:B><s:C>manual</s:C></s:Thing>"#,
        ),
        (
            "tags-two",
            r#"<s:Thing id="a"><s:Name>n</s:Name><s:Tags>1 2</s:Tags></s:Thing>"#,
        ),
        (
            "tags-not-int",
            r#"<s:Thing id="a"><s:Name>n</s:Name><s:Tags>1 x 3</s:Tags></s:Thing>"#,
        ),
        ("id-missing", r#"<s:Thing><s:Name>n</s:Name></s:Thing>"#),
        (
            "id-colon",
            r#"<s:Thing id="a:b"><s:Name>n</s:Name></s:Thing>"#,
        ),
        (
            "id-too-long",
            r#"<s:Thing id="abcdefghi"><s:Name>n</s:Name></s:Thing>"#,
        ),
        (
            "version-not-fixed",
            r#"<s:Thing id="a" version="2"><s:Name>n</s:Name></s:Thing>"#,
        ),
        (
            "when-bad",
            r#"<s:Thing id="a" when="yesterday"><s:Name>n</s:Name></s:Thing>"#,
        ),
        (
            "extra-on-thing",
            r#"<s:Thing id="a"><s:Name>n</s:Name><s:Extra/></s:Thing>"#,
        ),
        (
            "strict-unknown",
            r#"<s:Gadget id="g"><s:Name>n</s:Name><s:Extra><s:Nope/></s:Extra></s:Gadget>"#,
        ),
        (
            "strict-known-bad",
            r#"<s:Gadget id="g"><s:Name>n</s:Name><s:Extra><s:Order/></s:Extra></s:Gadget>"#,
        ),
        (
            "other-in-target",
            r#"<s:Gadget id="g"><s:Name>n</s:Name><s:Extra><o:x xmlns:o="urn:other"/><o:x xmlns:o="urn:other"/></s:Extra></s:Gadget>"#,
        ),
        ("name-missing", r#"<s:Thing id="a"/>"#),
        (
            "xsi-type-leaf",
            r#"<s:Thing id="a" xsi:type="s:Leaf" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><s:Name>n</s:Name><s:Extra/></s:Thing>"#,
        ),
        (
            "xsi-type-base",
            r#"<s:Thing id="a" xsi:type="s:Base" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><s:Name>n</s:Name></s:Thing>"#,
        ),
    ];
    let totals = [
        ("", ""),
        (
            "total-nil",
            r#"<s:Total xsi:nil="true" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>"#,
        ),
        (
            "total-nil-no-currency-ok",
            r#"<s:Total currency="EUR" xsi:nil="1" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>"#,
        ),
        (
            "total-nil-with-text",
            r#"<s:Total currency="EUR" xsi:nil="true" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">5</s:Total>"#,
        ),
        ("total-big", r#"<s:Total currency="EUR">999.99</s:Total>"#),
        (
            "total-too-many-digits",
            r#"<s:Total currency="EUR">1000.00</s:Total>"#,
        ),
    ];
    let mut out = vec![];
    for (pn, p) in props {
        out.push((
            pn.to_string(),
            format!("<s:Props>{p}</s:Props>{}", items[0].1),
        ));
    }
    for (iname, i) in items {
        out.push((
            iname.to_string(),
            format!("<s:Props>{}</s:Props>{i}", props[0].1),
        ));
    }
    for (tn, t) in totals.iter().skip(1) {
        out.push((
            tn.to_string(),
            format!("<s:Props>{}</s:Props>{}{t}", props[0].1, items[0].1),
        ));
    }
    out.push((
        "no-items".into(),
        format!("<s:Props>{}</s:Props>", props[0].1),
    ));
    out.push((
        "text-in-order".into(),
        format!("<s:Props>{}</s:Props>words{}", props[0].1, items[0].1),
    ));
    out.into_iter()
        .map(|(n, body)| (n, format!("<s:Order xmlns:s=\"{NS}\">{body}</s:Order>\n")))
        .collect()
}

#[test]
fn libxml2_agrees_on_a_synthetic_schema_of_every_supported_feature() {
    let schema = Schema::compile(&[("synthetic.xsd", XSD)]).expect("the synthetic schema compiles");
    let cases = instances();
    let Some(lint) = xmllint::find() else {
        if std::env::var_os("CI").is_some() {
            panic!("xmllint (libxml2-utils) is required in CI for the schema oracle test");
        }
        eprintln!(
            "\n\n!!! SKIPPED: xmllint not found; install libxml2-utils to run the synthetic oracle test !!!\n\n"
        );
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let xsd = dir.path().join("synthetic.xsd");
    std::fs::write(&xsd, XSD).expect("write xsd");
    let files: Vec<_> = cases
        .iter()
        .enumerate()
        .map(|(i, (_, text))| {
            let f = dir.path().join(format!("{i:03}.xml"));
            std::fs::write(&f, text).expect("write");
            f
        })
        .collect();
    let verdicts = xmllint::validate(&lint, &xsd, &files);
    let heads = abstract_heads_in(XSD);
    assert_eq!(heads, ["Item"]);
    let mut bad = vec![];
    let mut valid = 0;
    for ((name, text), lv) in cases.iter().zip(&verdicts) {
        let ev = engine_verdict(&schema, text);
        if *lv == Verdict::Valid {
            valid += 1;
        }
        if !agree_with(&ev, lv, &heads) {
            bad.push(format!("{name}\n    engine:  {ev:?}\n    libxml2: {lv:?}"));
        }
    }
    assert!(
        valid >= 5 && valid < cases.len() - 10,
        "a corpus with both verdicts: {valid} valid of {}",
        cases.len()
    );
    assert!(
        bad.is_empty(),
        "{} disagreements on the synthetic schema:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
fn schema_errors_name_the_file_and_line() {
    let bad_type = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:x">
  <xs:element name="a" type="xs:nosuch"/>
</xs:schema>"#;
    let e = Schema::compile(&[("bad.xsd", bad_type)]).expect_err("unknown type");
    assert_eq!((e.file.as_str(), e.line), ("bad.xsd", 2), "{e}");
    assert!(e.message.contains("unknown type"), "{e}");
    let bad_pattern = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:x">
  <xs:simpleType name="t"><xs:restriction base="xs:string"><xs:pattern value="(?i)x"/></xs:restriction></xs:simpleType>
</xs:schema>"#;
    let e = Schema::compile(&[("p.xsd", bad_pattern)]).expect_err("bad pattern");
    assert!(e.message.contains("pattern"), "{e}");
    let missing_import = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:x">
  <xs:import namespace="urn:y" schemaLocation="y.xsd"/>
</xs:schema>"#;
    let e = Schema::compile(&[("i.xsd", missing_import)]).expect_err("missing import");
    assert!(e.message.contains("y.xsd"), "{e}");
    assert!(Schema::compile(&[("n.xsd", "<notaschema/>")]).is_err());
    assert!(Schema::compile(&[("m.xsd", "<xs:schema")]).is_err());
}
