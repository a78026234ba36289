//! SOAP envelopes: building requests from a Body and header settings, and reading what a
//! response says (fault, response class and code, ServerVersionInfo).
//!
//! Owns the SOAP 1.1 envelope shape EWS uses. Reading works on the canonical tree
//! ([`crate::xml::Document`]), so prefixes never matter here.

use crate::xml::{self, Document, Element, Node, ns};

/// Prefix declarations every built envelope and every wrapped expectation carries, so case
/// authors can write `m:`, `t:`, `e:` and `soap:` without declaring them.
pub const PREDECLARED: &[(&str, &str)] = &[
    ("soap", ns::SOAP),
    ("m", ns::MESSAGES),
    ("t", ns::TYPES),
    ("e", ns::ERRORS),
    ("xsi", ns::XSI),
];

/// The SOAP headers EWS requests carry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvelopeHeaders {
    /// `RequestServerVersion/@Version`; `None` = no header.
    pub server_version: Option<String>,
    pub mailbox_culture: Option<String>,
    /// SMTP address to impersonate (`ExchangeImpersonation/ConnectingSID/PrimarySmtpAddress`).
    pub impersonate: Option<String>,
    /// `TimeZoneContext/TimeZoneDefinition/@Id`.
    pub time_zone: Option<String>,
}

/// `xmlns:p="uri"` declarations for [`PREDECLARED`], space-separated with a leading space.
pub fn predeclared_xmlns() -> String {
    PREDECLARED
        .iter()
        .map(|(p, uri)| format!(" xmlns:{p}=\"{uri}\""))
        .collect()
}

/// Builds a SOAP 1.1 envelope around `body` (already-rendered XML, may use the predeclared
/// prefixes). Header values are escaped here.
pub fn build_envelope(body: &str, headers: &EnvelopeHeaders) -> String {
    let mut out = String::with_capacity(body.len() + 512);
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.push_str("<soap:Envelope");
    out.push_str(&predeclared_xmlns());
    out.push_str(">\n  <soap:Header>\n");
    if let Some(v) = &headers.server_version {
        out.push_str(&format!(
            "    <t:RequestServerVersion Version=\"{}\"/>\n",
            xml::escape_value(v)
        ));
    }
    if let Some(c) = &headers.mailbox_culture {
        out.push_str(&format!(
            "    <t:MailboxCulture>{}</t:MailboxCulture>\n",
            xml::escape_value(c)
        ));
    }
    if let Some(who) = &headers.impersonate {
        out.push_str(&format!(
            "    <t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>{}</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>\n",
            xml::escape_value(who)
        ));
    }
    if let Some(tz) = &headers.time_zone {
        out.push_str(&format!(
            "    <t:TimeZoneContext><t:TimeZoneDefinition Id=\"{}\"/></t:TimeZoneContext>\n",
            xml::escape_value(tz)
        ));
    }
    out.push_str("  </soap:Header>\n  <soap:Body>\n");
    out.push_str(body.trim_end());
    out.push_str("\n  </soap:Body>\n</soap:Envelope>\n");
    out
}

/// The `RequestedServerVersion` an Autodiscover SOAP request built from a `body` carries.
pub const AUTODISCOVER_REQUESTED_VERSION: &str = "Exchange2013";

/// Builds a SOAP Autodiscover envelope around `body`: `a:RequestedServerVersion`, and the
/// WS-Addressing `Action` (of `operation`) and `To` (`url`) headers. Values are escaped here.
pub fn build_autodiscover_envelope(body: &str, operation: &str, url: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<soap:Envelope xmlns:soap=\"{}\" xmlns:a=\"{}\" xmlns:wsa=\"{}\" xmlns:xsi=\"{}\">\n  <soap:Header>\n    <a:RequestedServerVersion>{AUTODISCOVER_REQUESTED_VERSION}</a:RequestedServerVersion>\n    <wsa:Action>{}</wsa:Action>\n    <wsa:To>{}</wsa:To>\n  </soap:Header>\n  <soap:Body>\n{}\n  </soap:Body>\n</soap:Envelope>\n",
        ns::SOAP,
        ns::AUTODISCOVER,
        ns::WSA,
        ns::XSI,
        xml::escape_value(&autodiscover_action(operation)),
        xml::escape_value(url),
        body.trim_end()
    )
}

/// The WS-Addressing action (and `SOAPAction`) of Autodiscover operation `operation`.
pub fn autodiscover_action(operation: &str) -> String {
    format!("{}/Autodiscover/{operation}", ns::AUTODISCOVER)
}

/// The `SOAPAction` EWS clients send for `operation`.
pub fn soap_action(operation: &str) -> String {
    format!("{}/{operation}", ns::MESSAGES)
}

/// First child element of `el` with this expanded name.
pub fn child<'a>(el: &'a Element, ns_uri: &str, local: &str) -> Option<&'a Element> {
    children(el).find(|c| c.name.local == local && c.name.ns.as_deref() == Some(ns_uri))
}

/// First child element of `el` with this local name, in any namespace or none.
pub fn child_local<'a>(el: &'a Element, local: &str) -> Option<&'a Element> {
    children(el).find(|c| c.name.local == local)
}

/// Child elements of `el`.
pub fn children(el: &Element) -> impl Iterator<Item = &Element> {
    el.children.iter().filter_map(|n| match n {
        Node::Element(e) => Some(e),
        Node::Text(_) => None,
    })
}

/// Concatenated text children of `el`.
pub fn text(el: &Element) -> String {
    el.children
        .iter()
        .filter_map(|n| match n {
            Node::Text(t) => Some(t.as_str()),
            Node::Element(_) => None,
        })
        .collect()
}

/// Value of an attribute without namespace.
pub fn attr<'a>(el: &'a Element, local: &str) -> Option<&'a str> {
    el.attrs
        .iter()
        .find(|a| a.name.ns.is_none() && a.name.local == local)
        .map(|a| a.value.as_str())
}

/// True when the root is a SOAP 1.1 `Envelope`.
pub fn is_soap11_envelope(doc: &Document) -> bool {
    doc.root.name.local == "Envelope" && doc.root.name.ns.as_deref() == Some(ns::SOAP)
}

/// The `Body` element of a SOAP 1.1 envelope.
pub fn body(doc: &Document) -> Option<&Element> {
    if !is_soap11_envelope(doc) {
        return None;
    }
    child(&doc.root, ns::SOAP, "Body")
}

/// The first element inside the SOAP Body (the response element or the Fault).
pub fn body_child(doc: &Document) -> Option<&Element> {
    body(doc).and_then(|b| children(b).next())
}

/// A SOAP fault as EWS sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// `faultcode` as resolved by the canonicalizer (`{uri}local` or `local`).
    pub code: String,
    pub string: String,
    /// `detail/e:ResponseCode`.
    pub response_code: Option<String>,
}

impl Fault {
    /// Local part of the fault code (`ErrorSchemaValidation`).
    pub fn code_local(&self) -> &str {
        self.code
            .rsplit_once('}')
            .map(|(_, l)| l)
            .unwrap_or(&self.code)
    }
}

/// Reads the SOAP 1.1 fault of a response, if the Body holds one.
pub fn fault(doc: &Document) -> Option<Fault> {
    let el = body_child(doc)?;
    if el.name.local != "Fault" || el.name.ns.as_deref() != Some(ns::SOAP) {
        return None;
    }
    let code = child_local(el, "faultcode").map(text).unwrap_or_default();
    let string = child_local(el, "faultstring").map(text).unwrap_or_default();
    let response_code = child_local(el, "detail")
        .and_then(|d| {
            child(d, ns::ERRORS, "ResponseCode").or_else(|| child_local(d, "ResponseCode"))
        })
        .map(text);
    Some(Fault {
        code,
        string,
        response_code,
    })
}

/// `ResponseClass` and `ResponseCode` of an EWS response element (the Body's child, or for
/// operations with a `ResponseMessages` wrapper, its first message).
pub fn response_status(doc: &Document) -> Option<(String, Option<String>)> {
    let mut el = body_child(doc)?;
    if let Some(messages) = child(el, ns::MESSAGES, "ResponseMessages") {
        el = children(messages).next()?;
    }
    let class = attr(el, "ResponseClass")?.to_string();
    let code = child(el, ns::MESSAGES, "ResponseCode").map(text);
    Some((class, code))
}

/// `ServerVersionInfo` of a response: (`Version`, `Major.Minor.MajorBuild.MinorBuild`).
pub fn server_version_info(doc: &Document) -> Option<(Option<String>, Option<String>)> {
    if !is_soap11_envelope(doc) {
        return None;
    }
    let header = child(&doc.root, ns::SOAP, "Header")?;
    let info = child(header, ns::TYPES, "ServerVersionInfo")?;
    let version = attr(info, "Version").map(str::to_string);
    let parts: Vec<&str> = [
        "MajorVersion",
        "MinorVersion",
        "MajorBuildNumber",
        "MinorBuildNumber",
    ]
    .iter()
    .filter_map(|a| attr(info, a))
    .collect();
    let build = (parts.len() == 4).then(|| parts.join("."));
    Some((version, build))
}

/// The operation of a request body: the local name of its first element, except for the two OOF
/// operations and GetUserAvailability, whose body elements end in `Request`
/// (`GetUserOofSettingsRequest` is GetUserOofSettings).
pub fn operation_of_body(body_xml: &str) -> Option<String> {
    let wrapped = format!("<w{}>{body_xml}</w>", predeclared_xmlns());
    let doc = xml::parse(wrapped.as_bytes(), &xml::ParseOptions::default()).ok()?;
    children(&doc.root).next().map(|e| {
        let local = e.name.local.as_ref();
        match local {
            "GetUserOofSettingsRequest"
            | "SetUserOofSettingsRequest"
            | "GetUserAvailabilityRequest" => local.trim_end_matches("Request").to_string(),
            other => other.to_string(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_carries_headers_escaped_and_predeclared_prefixes() {
        let headers = EnvelopeHeaders {
            server_version: Some("Exchange2013".into()),
            mailbox_culture: Some("en-US".into()),
            impersonate: Some("a&b@contoso.com".into()),
            time_zone: Some("GMT Standard Time".into()),
        };
        let env = build_envelope("<m:GetImItemList/>", &headers);
        assert!(env.contains("<t:RequestServerVersion Version=\"Exchange2013\"/>"));
        assert!(env.contains("<t:MailboxCulture>en-US</t:MailboxCulture>"));
        assert!(env.contains("<t:PrimarySmtpAddress>a&amp;b@contoso.com</t:PrimarySmtpAddress>"));
        assert!(env.contains("<t:TimeZoneDefinition Id=\"GMT Standard Time\"/>"));
        assert!(env.contains(&format!("xmlns:m=\"{}\"", ns::MESSAGES)));
        assert!(env.contains("<soap:Body>\n<m:GetImItemList/>\n  </soap:Body>"));
    }

    #[test]
    fn the_oof_body_elements_name_their_operations() {
        let get = "<m:GetUserOofSettingsRequest><t:Mailbox><t:Address>a@b.c</t:Address></t:Mailbox></m:GetUserOofSettingsRequest>";
        assert_eq!(
            operation_of_body(get).as_deref(),
            Some("GetUserOofSettings")
        );
        assert_eq!(
            operation_of_body("<m:SetUserOofSettingsRequest/>").as_deref(),
            Some("SetUserOofSettings")
        );
        assert_eq!(
            operation_of_body("<m:ExpandDL/>").as_deref(),
            Some("ExpandDL")
        );
    }

    #[test]
    fn no_headers_means_an_empty_header_element() {
        let env = build_envelope("<m:X/>", &EnvelopeHeaders::default());
        assert!(env.contains("<soap:Header>\n  </soap:Header>"));
        assert!(!env.contains("RequestServerVersion"));
    }

    #[test]
    fn soap_action_is_in_the_messages_namespace() {
        assert_eq!(
            soap_action("AddImGroup"),
            "http://schemas.microsoft.com/exchange/services/2006/messages/AddImGroup"
        );
    }
}
