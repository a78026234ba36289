//! Response XML: a small element tree the operations build, and its serialization in Exchange's
//! style (SOAP elements with the `s:` prefix, EWS elements with a default namespace declared where
//! it changes, explicit prefixes where Exchange uses them, e.g. in faults).
//!
//! Quirks rewrite this tree (see `quirks.rs`) before it is written, so every misbehaviour is a
//! change to the response the server would otherwise send.

use super::xml_tree::is_xml_char;

/// SOAP 1.1 envelope namespace.
pub const SOAP11_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// SOAP 1.2 envelope namespace (only used by the `soap12-fault` quirk).
pub const SOAP12_NS: &str = "http://www.w3.org/2003/05/soap-envelope";
pub const MESSAGES_NS: &str = "http://schemas.microsoft.com/exchange/services/2006/messages";
pub const TYPES_NS: &str = "http://schemas.microsoft.com/exchange/services/2006/types";
pub const ERRORS_NS: &str = "http://schemas.microsoft.com/exchange/services/2006/errors";
pub const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";
pub const XSD_NS: &str = "http://www.w3.org/2001/XMLSchema";

/// The namespace of an element in a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ns {
    /// No namespace (SOAP 1.1 `faultcode`, `faultstring`, `detail`).
    None,
    /// The SOAP envelope namespace, always written with the `s:` prefix.
    Soap,
    Messages,
    Types,
    Errors,
}

/// Namespace URIs used when writing; the `https-namespace` quirk swaps in `https://` ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Namespaces {
    pub soap: &'static str,
    pub messages: &'static str,
    pub types: &'static str,
    pub errors: &'static str,
}

impl Namespaces {
    pub const EXCHANGE: Namespaces = Namespaces {
        soap: SOAP11_NS,
        messages: MESSAGES_NS,
        types: TYPES_NS,
        errors: ERRORS_NS,
    };
    pub const HTTPS: Namespaces = Namespaces {
        soap: SOAP11_NS,
        messages: "https://schemas.microsoft.com/exchange/services/2006/messages",
        types: "https://schemas.microsoft.com/exchange/services/2006/types",
        errors: "https://schemas.microsoft.com/exchange/services/2006/errors",
    };

    fn uri(&self, ns: Ns) -> &'static str {
        match ns {
            Ns::None => "",
            Ns::Soap => self.soap,
            Ns::Messages => self.messages,
            Ns::Types => self.types,
            Ns::Errors => self.errors,
        }
    }
}

/// One element of a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub ns: Ns,
    /// Written as `prefix:local` with its own `xmlns:prefix` declaration when set.
    pub prefix: Option<&'static str>,
    pub local: String,
    /// Attributes in no namespace, and raw `xmlns...` declarations Exchange writes.
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
    pub text: Option<String>,
}

impl Node {
    pub fn new(ns: Ns, local: impl Into<String>) -> Node {
        Node {
            ns,
            prefix: None,
            local: local.into(),
            attrs: Vec::new(),
            children: Vec::new(),
            text: None,
        }
    }
    /// An element in the messages namespace.
    pub fn m(local: &str) -> Node {
        Node::new(Ns::Messages, local)
    }
    /// An element in the types namespace.
    pub fn t(local: &str) -> Node {
        Node::new(Ns::Types, local)
    }
    pub fn prefixed(mut self, prefix: &'static str) -> Node {
        self.prefix = Some(prefix);
        self
    }
    pub fn attr(mut self, name: &str, value: impl Into<String>) -> Node {
        self.attrs.push((name.to_string(), value.into()));
        self
    }
    pub fn text(mut self, text: impl Into<String>) -> Node {
        self.text = Some(text.into());
        self
    }
    pub fn child(mut self, child: Node) -> Node {
        self.children.push(child);
        self
    }
    pub fn children(mut self, children: impl IntoIterator<Item = Node>) -> Node {
        self.children.extend(children);
        self
    }
    /// A `t:`-typed element holding only `text`.
    pub fn t_text(local: &str, text: impl Into<String>) -> Node {
        Node::t(local).text(text)
    }
    /// First direct child named `local`.
    pub fn find(&self, local: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.local == local)
    }
    pub fn find_mut(&mut self, local: &str) -> Option<&mut Node> {
        self.children.iter_mut().find(|c| c.local == local)
    }
    /// Visits this node and all descendants, depth first.
    pub fn walk_mut(&mut self, visit: &mut dyn FnMut(&mut Node)) {
        visit(self);
        for child in &mut self.children {
            child.walk_mut(visit);
        }
    }
}

/// Escapes text content. A character XML 1.0 forbids (which no request can bring in: the parser
/// refuses them) is written as U+FFFD, so no code path can make the output ill-formed.
pub fn escape_text(text: &str, out: &mut String) {
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            _ if !is_xml_char(ch) => out.push('\u{fffd}'),
            _ => out.push(ch),
        }
    }
}

/// Escapes an attribute value (double-quoted); forbidden characters as in [`escape_text`].
pub fn escape_attr(text: &str, out: &mut String) {
    for ch in text.chars() {
        match ch {
            _ if !is_xml_char(ch) => out.push('\u{fffd}'),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            '\t' => out.push_str("&#x9;"),
            _ => out.push(ch),
        }
    }
}

/// Writes `node` (and its subtree) to `out`.
///
/// `default_ns` is the default namespace in scope; `prefixes` the prefix bindings in scope.
pub fn write_node(
    node: &Node,
    namespaces: &Namespaces,
    default_ns: &str,
    prefixes: &mut Vec<(&'static str, &'static str)>,
    out: &mut String,
) {
    let uri = namespaces.uri(node.ns);
    let scope_len = prefixes.len();
    let mut new_default = default_ns;
    out.push('<');
    let tag = match (node.ns, node.prefix) {
        (Ns::Soap, _) => format!("s:{}", node.local),
        (_, Some(prefix)) => format!("{prefix}:{}", node.local),
        _ => node.local.clone(),
    };
    out.push_str(&tag);
    let declares = |name: &str| node.attrs.iter().any(|(n, _)| n == name);
    match (node.ns, node.prefix) {
        (Ns::Soap, _) => {
            if !prefixes.iter().rev().any(|(p, u)| *p == "s" && *u == uri) && !declares("xmlns:s") {
                out.push_str(" xmlns:s=\"");
                escape_attr(uri, out);
                out.push('"');
                prefixes.push(("s", uri));
            }
        }
        (_, Some(prefix)) => {
            let attr_name = format!("xmlns:{prefix}");
            if !prefixes
                .iter()
                .rev()
                .any(|(p, u)| *p == prefix && *u == uri)
                && !declares(&attr_name)
            {
                out.push(' ');
                out.push_str(&attr_name);
                out.push_str("=\"");
                escape_attr(uri, out);
                out.push('"');
            }
            prefixes.push((prefix, uri));
        }
        _ => {
            if uri != default_ns && !declares("xmlns") {
                out.push_str(" xmlns=\"");
                escape_attr(uri, out);
                out.push('"');
            }
            new_default = uri;
        }
    }
    for (name, value) in &node.attrs {
        if name == "xmlns" {
            new_default = namespaces_value(value, namespaces);
        }
        out.push(' ');
        out.push_str(name);
        out.push_str("=\"");
        escape_attr(value, out);
        out.push('"');
    }
    if node.children.is_empty() && node.text.is_none() {
        out.push_str("/>");
    } else {
        out.push('>');
        if let Some(text) = &node.text {
            escape_text(text, out);
        }
        for child in &node.children {
            write_node(child, namespaces, new_default, prefixes, out);
        }
        out.push_str("</");
        out.push_str(&tag);
        out.push('>');
    }
    prefixes.truncate(scope_len);
}

/// A raw `xmlns="..."` attribute changes the default namespace; map it back to a static URI.
fn namespaces_value(value: &str, namespaces: &Namespaces) -> &'static str {
    [
        namespaces.messages,
        namespaces.types,
        namespaces.errors,
        namespaces.soap,
    ]
    .into_iter()
    .find(|uri| *uri == value)
    .unwrap_or("")
}

/// Writes a whole document: XML declaration and `root`.
pub fn write_document(root: &Node, namespaces: &Namespaces) -> String {
    let mut out = String::with_capacity(2048);
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
    let mut prefixes = Vec::new();
    write_node(root, namespaces, "", &mut prefixes, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_namespace_is_declared_where_it_changes() {
        let body = Node::new(Ns::Soap, "Body").child(
            Node::m("AddImGroupResponse")
                .attr("ResponseClass", "Success")
                .child(Node::m("ResponseCode").text("NoError"))
                .child(Node::m("ImGroup").child(Node::t_text("DisplayName", "a&b"))),
        );
        let text = write_document(&body, &Namespaces::EXCHANGE);
        assert!(text.contains(&format!(
            "<AddImGroupResponse xmlns=\"{MESSAGES_NS}\" ResponseClass=\"Success\"><ResponseCode>NoError</ResponseCode><ImGroup><DisplayName xmlns=\"{TYPES_NS}\">a&amp;b</DisplayName></ImGroup>"
        )), "{text}");
        assert!(text.contains(&format!("<s:Body xmlns:s=\"{SOAP11_NS}\">")));
    }

    #[test]
    fn hostile_text_and_attributes_are_escaped_and_forbidden_characters_replaced() {
        let node = Node::t("V")
            .attr("a", "\"<&>\t\n\r\u{0}")
            .text("</V>&]]>\r\u{1}\u{fffe}ok");
        let text = write_document(&node, &Namespaces::EXCHANGE);
        assert!(
            text.ends_with(
                "<V xmlns=\"http://schemas.microsoft.com/exchange/services/2006/types\" a=\"&quot;&lt;&amp;&gt;&#x9;&#xA;&#xD;\u{fffd}\">&lt;/V&gt;&amp;]]&gt;&#xD;\u{fffd}\u{fffd}ok</V>"
            ),
            "{text}"
        );
    }

    #[test]
    fn prefixed_elements_declare_their_prefix_once() {
        let node = Node::t("MessageXml")
            .prefixed("t")
            .child(Node::t_text("LineNumber", "3").prefixed("t"));
        let text = write_document(&node, &Namespaces::HTTPS);
        assert!(text.contains("<t:MessageXml xmlns:t=\"https://"), "{text}");
        assert!(text.contains("<t:LineNumber>3</t:LineNumber>"), "{text}");
    }
}
