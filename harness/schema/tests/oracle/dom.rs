//! A small raw XML tree for the oracle test: prefixes and namespace declarations are kept as
//! written, so extracted and mutated documents can be serialized for both validators.

use quick_xml::events::Event;
use quick_xml::reader::Reader;

#[derive(Debug, Clone)]
pub enum Node {
    Elem(Elem),
    Text(String),
}

#[derive(Debug, Clone)]
pub struct Elem {
    /// The qualified name as written (`t:Folder`).
    pub name: String,
    /// Attributes as written, namespace declarations included.
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
}

impl Elem {
    pub fn prefix(&self) -> &str {
        self.name.split_once(':').map_or("", |(p, _)| p)
    }

    pub fn local(&self) -> &str {
        self.name
            .split_once(':')
            .map_or(self.name.as_str(), |(_, l)| l)
    }

    pub fn elements(&self) -> impl Iterator<Item = &Elem> {
        self.children.iter().filter_map(|c| match c {
            Node::Elem(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// Namespace declarations on this element: (prefix, uri), "" for the default.
    pub fn declarations(&self) -> Vec<(String, String)> {
        self.attrs
            .iter()
            .filter_map(|(k, v)| {
                if k == "xmlns" {
                    Some((String::new(), v.clone()))
                } else {
                    k.strip_prefix("xmlns:").map(|p| (p.to_string(), v.clone()))
                }
            })
            .collect()
    }

    /// Paths (child indexes into `children`) of every element, in document order, self first.
    pub fn paths(&self) -> Vec<Vec<usize>> {
        let mut out = vec![vec![]];
        for (i, c) in self.children.iter().enumerate() {
            if let Node::Elem(e) = c {
                for mut p in e.paths() {
                    p.insert(0, i);
                    out.push(p);
                }
            }
        }
        out
    }

    pub fn at_mut(&mut self, path: &[usize]) -> &mut Elem {
        let mut e = self;
        for &i in path {
            e = match &mut e.children[i] {
                Node::Elem(x) => x,
                Node::Text(_) => panic!("path through text"),
            };
        }
        e
    }

    pub fn at(&self, path: &[usize]) -> &Elem {
        let mut e = self;
        for &i in path {
            e = match &e.children[i] {
                Node::Elem(x) => x,
                Node::Text(_) => panic!("path through text"),
            };
        }
        e
    }

    pub fn write(&self, out: &mut String) {
        out.push('<');
        out.push_str(&self.name);
        for (k, v) in &self.attrs {
            out.push(' ');
            out.push_str(k);
            out.push_str("=\"");
            out.push_str(&escape(v, true));
            out.push('"');
        }
        if self.children.is_empty() {
            out.push_str("/>");
            return;
        }
        out.push('>');
        for c in &self.children {
            match c {
                Node::Elem(e) => e.write(out),
                Node::Text(t) => out.push_str(&escape(t, false)),
            }
        }
        out.push_str("</");
        out.push_str(&self.name);
        out.push('>');
    }

    pub fn to_document(&self) -> String {
        let mut s = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
        self.write(&mut s);
        s.push('\n');
        s
    }
}

fn escape(s: &str, attr: bool) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => o.push_str("&lt;"),
            '&' => o.push_str("&amp;"),
            '>' => o.push_str("&gt;"),
            '"' if attr => o.push_str("&quot;"),
            '\n' if attr => o.push_str("&#10;"),
            '\t' if attr => o.push_str("&#9;"),
            _ => o.push(c),
        }
    }
    o
}

/// Parses a document; None when it is not well-formed.
pub fn parse(text: &str) -> Option<Elem> {
    let mut r = Reader::from_str(text);
    r.config_mut().check_end_names = true;
    let mut stack: Vec<Elem> = vec![];
    let mut root = None;
    loop {
        let ev = r.read_event().ok()?;
        match ev {
            Event::Start(ref s) | Event::Empty(ref s) => {
                let mut attrs = vec![];
                for a in s.attributes() {
                    let a = a.ok()?;
                    let v = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .ok()?
                        .into_owned();
                    attrs.push((a.key.as_ref().to_string(), v));
                }
                let e = Elem {
                    name: s.name().as_ref().to_string(),
                    attrs,
                    children: vec![],
                };
                if matches!(ev, Event::Empty(_)) {
                    match stack.last_mut() {
                        Some(p) => p.children.push(Node::Elem(e)),
                        None => root = Some(e),
                    }
                } else {
                    stack.push(e);
                }
            }
            Event::End(_) => {
                let e = stack.pop()?;
                match stack.last_mut() {
                    Some(p) => p.children.push(Node::Elem(e)),
                    None => root = Some(e),
                }
            }
            Event::Text(t) => {
                if let Some(p) = stack.last_mut() {
                    p.children.push(Node::Text(t.xml10_content().into_owned()));
                }
            }
            Event::CData(c) => {
                if let Some(p) = stack.last_mut() {
                    p.children.push(Node::Text(c.xml10_content().into_owned()));
                }
            }
            Event::GeneralRef(g) => {
                let c = match g.resolve_char_ref().ok()? {
                    Some(c) => c,
                    None => match &*g {
                        "lt" => '<',
                        "gt" => '>',
                        "amp" => '&',
                        "apos" => '\'',
                        "quot" => '"',
                        _ => return None,
                    },
                };
                if let Some(p) = stack.last_mut() {
                    match p.children.last_mut() {
                        Some(Node::Text(t)) => t.push(c),
                        _ => p.children.push(Node::Text(c.to_string())),
                    }
                }
            }
            Event::DocType(_) => return None,
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return None;
    }
    root
}
