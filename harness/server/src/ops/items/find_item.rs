//! FindItem: the items of each parent folder, one response message per parent, in request order,
//! filtered, sorted, grouped and paged as the request says.
//!
//! Steps, for each parent (resolved as the folder operations do, `t:Mailbox` included):
//!
//! 1. **Traversal**: `Shallow` is the folder's items, `SoftDeleted` its soft-deleted items,
//!    `Associated` its associated (folder-associated information) items: those whose
//!    `PR_ASSOCIATED` (`0x67AA`, `Boolean`) extended property is `true`. Shallow leaves them out.
//!    A `SoftDeleted` traversal with a restriction finds nothing (finditem-operation.md).
//! 2. **Filter**: the `Restriction` ([`crate::mailbox::restriction`], evaluated over
//!    [`ItemProperties`]), or the `QueryString` (AQS, a minimal subset: words separated by
//!    spaces, all of which must start a word of the subject or the body, case-insensitively;
//!    `subject:word`, `body:word` and `from:word` restrict a word to that property; `"a phrase"`
//!    is one word; `AND` is ignored). Both together → `ErrorInvalidRestriction` (the
//!    QueryString page: it "excludes the use of EWS restrictions"). A `CalendarView` keeps the
//!    calendar items overlapping `[StartDate, EndDate)` (`calendar:End` after StartDate and
//!    `calendar:Start` before EndDate; a zero-length item at StartDate counts); a `ContactsView`
//!    keeps the contacts whose display name (`DisplayName`, else `FileAs`, else `GivenName
//!    Surname`) lies between `InitialName` and `FinalName`, both included, ignoring case.
//! 3. **Sort**: `SortOrder`'s `FieldOrder` keys in turn (values compared as restrictions compare
//!    them: numbers, instants, booleans, importance and sensitivity by rank, text ignoring
//!    case; an item without the property sorts
//!    before every item with it), ties by creation order. Without `SortOrder`: creation order;
//!    a CalendarView by `calendar:Start`, a ContactsView by display name.
//! 4. **Group** (`GroupBy`: the `FieldURI` whose value makes the group, `AggregateOn` the
//!    property and `Minimum`/`Maximum` whose value orders the groups in `Order`;
//!    `DistinguishedGroupBy` `ConversationTopic`: by `message:ConversationTopic`, the subject
//!    when the item has none, aggregated on the latest `DateTimeReceived`): groups are ordered
//!    by their aggregate, ties by group value; items keep the sort order inside their group.
//!    Paging counts items across the groups in that order; `t:GroupedItems` has the
//!    `GroupIndex` of the group in the whole ordered list.
//! 5. **Page** ([`crate::mailbox::views`] for the indexed and fractional views). A CalendarView
//!    or ContactsView returns the first `MaxEntriesReturned` entries with
//!    `IncludesLastItemInRange` saying whether that was all of them. `TotalItemsInView` is the
//!    number of entries after filtering, before paging.
//!
//! Items are written by [`OpContext::item_node`] in the `ItemShape` with what FindItem leaves
//! out (finditem-operation.md): no `Body` and no recipient lists, and `From`, `Sender` and
//! `Organizer` with the mailbox's `Name` only; the base `t:Item` is written as `t:Message`
//! ("Exchange does not return the base Item element"). Asking for `item:Body`,
//! `item:Attachments`, `item:MimeContent` or a recipient list in `AdditionalProperties` →
//! `ErrorInvalidPropertyRequest`.
//!
//! Codes: those of folder resolution, `ErrorInvalidPagingMaxRows`,
//! `ErrorInvalidFractionalPagingParameters`, `ErrorInvalidRestriction` (a restriction this
//! server cannot evaluate), CalendarView's `ErrorCalendarEndDateIsEarlierThanStartDate`,
//! `ErrorCalendarViewRangeTooBig` (more than two years, counted as 731 days) and
//! `ErrorCalendarFolderIsInvalidForCalendarView`, and `ErrorInvalidPropertyRequest`.
//! Quirks: `restriction-ignored` (the restriction and query string are skipped) and
//! `sort-ignored` (the `SortOrder` is skipped) apply here.

use std::cmp::Ordering;

use super::ItemShape;
use crate::faults::{ResponseCode, ResponseError};
use crate::ids::IdKind;
use crate::mailbox::Mailbox;
use crate::mailbox::folders::FolderKind;
use crate::mailbox::items::Item;
use crate::mailbox::properties::{ExtendedKey, ExtendedTarget, PropertyPath, parse_path};
use crate::mailbox::restriction::{
    PropertySource, Restriction, compare_values, enum_rank, parse_instant, parse_restriction,
};
use crate::mailbox::views::{PageView, max_entries, number};
use crate::ops::folders::{FolderRef, folder_refs};
use crate::ops::{OpContext, Outcome, Response};
use crate::registry::{Handler, Request};
use crate::render::{Node, TYPES_NS};
use crate::schema::RequestView;
use crate::xml_tree::Element;

/// `Traversal` of FindItem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Traversal {
    Shallow,
    SoftDeleted,
    Associated,
}

/// The view of a FindItem request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemView {
    /// No view, `IndexedPageItemView` or `FractionalPageItemView`.
    Paged(PageView),
    /// `CalendarView` (the dates as sent; the schema has checked they are `xs:dateTime`).
    Calendar {
        start: String,
        end: String,
        max: Option<i64>,
    },
    /// `ContactsView`.
    Contacts {
        initial: Option<String>,
        last: Option<String>,
        max: Option<i64>,
    },
}

/// One `t:FieldOrder` of `SortOrder`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    pub path: PropertyPath,
    pub descending: bool,
}

/// `GroupBy` or `DistinguishedGroupBy`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grouping {
    /// The property whose value makes the group.
    pub by: PropertyPath,
    /// The groups in descending order of their aggregate.
    pub descending: bool,
    /// The property aggregated over each group's items.
    pub aggregate_on: PropertyPath,
    /// `Maximum` (else `Minimum`).
    pub maximum: bool,
}

/// The FindItem request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindItem {
    pub traversal: Traversal,
    pub shape: ItemShape,
    pub view: ItemView,
    pub grouping: Option<Grouping>,
    /// `None` without a restriction; `Some(Err)` for one this server cannot evaluate.
    pub restriction: Option<Result<Restriction, String>>,
    pub sort: Vec<SortKey>,
    pub parents: Vec<FolderRef>,
    pub query: Option<String>,
}

/// The additional properties FindItem does not return (finditem-operation.md).
const NOT_IN_FIND: &[&str] = &[
    "item:Body",
    "item:Attachments",
    "item:MimeContent",
    "message:ToRecipients",
    "message:CcRecipients",
    "message:BccRecipients",
    "calendar:RequiredAttendees",
    "calendar:OptionalAttendees",
    "calendar:Resources",
];

/// The most a CalendarView may span: two years (731 days, a leap day included), in ms.
const MAX_CALENDAR_SPAN_MS: i64 = 731 * 86_400 * 1000;

/// `PR_ASSOCIATED`: an associated item has it `true`.
fn associated_key() -> ExtendedKey {
    ExtendedKey::tag(0x67aa, "Boolean")
}

/// Whether `item` is an associated (FAI) item.
pub fn is_associated(item: &Item) -> bool {
    if item.properties.iter().next().is_none() {
        return false;
    }
    item.properties
        .get(&associated_key())
        .and_then(|v| v.first())
        .is_some_and(|v| matches!(v.trim(), "true" | "1"))
}

fn t_child<'a>(element: &'a Element, local: &str) -> Option<&'a Element> {
    element.children.iter().find(|c| c.is(TYPES_NS, local))
}

fn first_path(element: &Element) -> Option<PropertyPath> {
    element.children.iter().find_map(parse_path)
}

impl ItemView {
    fn parse(request: &RequestView<'_>) -> ItemView {
        if let Some(v) = request.element("CalendarView") {
            ItemView::Calendar {
                start: v.attr("StartDate").unwrap_or_default().to_string(),
                end: v.attr("EndDate").unwrap_or_default().to_string(),
                max: number(v, "MaxEntriesReturned"),
            }
        } else if let Some(v) = request.element("ContactsView") {
            ItemView::Contacts {
                initial: v.attr("InitialName").map(str::to_string),
                last: v.attr("FinalName").map(str::to_string),
                max: number(v, "MaxEntriesReturned"),
            }
        } else {
            ItemView::Paged(PageView::parse(
                request.element("IndexedPageItemView"),
                request.element("FractionalPageItemView"),
            ))
        }
    }
}

impl Grouping {
    fn parse(request: &RequestView<'_>) -> Option<Grouping> {
        let descending = |e: &Element| e.attr("Order").map(str::trim) == Some("Descending");
        if let Some(g) = request.element("GroupBy") {
            let aggregate = t_child(g, "AggregateOn")?;
            return Some(Grouping {
                by: first_path(g)?,
                descending: descending(g),
                aggregate_on: first_path(aggregate)?,
                maximum: aggregate.attr("Aggregate").map(str::trim) == Some("Maximum"),
            });
        }
        let g = request.element("DistinguishedGroupBy")?;
        Some(Grouping {
            by: PropertyPath::Field("message:ConversationTopic".into()),
            descending: descending(g),
            aggregate_on: PropertyPath::Field("item:DateTimeReceived".into()),
            maximum: true,
        })
    }
}

impl Handler for FindItem {
    const NAME: &'static str = "FindItem";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2007";
    const CODES: &'static [ResponseCode] = &[
        ResponseCode::ErrorInvalidIdEmpty,
        ResponseCode::ErrorInvalidIdMalformed,
        ResponseCode::ErrorNonExistentMailbox,
        ResponseCode::ErrorNonExistentMailboxAddress,
        ResponseCode::ErrorItemNotFound,
        ResponseCode::ErrorFolderNotFound,
        ResponseCode::ErrorAccessDenied,
        ResponseCode::ErrorInvalidPagingMaxRows,
        ResponseCode::ErrorInvalidFractionalPagingParameters,
        ResponseCode::ErrorInvalidRestriction,
        ResponseCode::ErrorCalendarEndDateIsEarlierThanStartDate,
        ResponseCode::ErrorCalendarViewRangeTooBig,
        ResponseCode::ErrorCalendarFolderIsInvalidForCalendarView,
        ResponseCode::ErrorInvalidPropertyRequest,
    ];

    fn view(request: &RequestView<'_>) -> Self {
        let traversal = match request.body().attr("Traversal").map(str::trim) {
            Some("SoftDeleted") => Traversal::SoftDeleted,
            Some("Associated") => Traversal::Associated,
            _ => Traversal::Shallow,
        };
        let sort = request
            .element("SortOrder")
            .map(|s| {
                s.children
                    .iter()
                    .filter(|c| c.is(TYPES_NS, "FieldOrder"))
                    .filter_map(|c| {
                        Some(SortKey {
                            path: first_path(c)?,
                            descending: c.attr("Order").map(str::trim) == Some("Descending"),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        FindItem {
            traversal,
            shape: ItemShape::parse(request.element("ItemShape")),
            view: ItemView::parse(request),
            grouping: Grouping::parse(request),
            restriction: request
                .element("Restriction")
                .map(|r| parse_restriction(r).map_err(|e| e.0)),
            sort,
            parents: folder_refs(request.element("ParentFolderIds")),
            query: request
                .element("QueryString")
                .map(|q| q.text.trim().to_string()),
        }
    }
}

impl Request for FindItem {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        let outcomes = self
            .parents
            .iter()
            .map(|parent| self.find(ctx, mailbox, parent))
            .collect();
        Response::messages(outcomes)
    }

    fn mailbox_address(&self) -> Option<&str> {
        crate::ops::folders::mailbox_address(&self.parents)
    }
}

/// One item's properties, as restrictions, sorts and groups read them.
pub struct ItemProperties<'a> {
    pub ctx: &'a OpContext<'a>,
    pub item: &'a Item,
}

/// The texts of a class field: its own text, or the texts of its leaves (addresses and names
/// of a `t:Mailbox`, strings of an array), routing and mailbox types left out.
fn node_values(node: &Node, out: &mut Vec<String>) {
    if node.children.is_empty() {
        if let Some(text) = node.text.as_deref().filter(|t| !t.is_empty()) {
            if !matches!(node.local.as_str(), "RoutingType" | "MailboxType") {
                out.push(text.to_string());
            }
        }
    }
    for child in &node.children {
        node_values(child, out);
    }
}

fn non_empty(values: Vec<String>) -> Option<Vec<String>> {
    (!values.is_empty()).then_some(values)
}

impl ItemProperties<'_> {
    fn specific(&self, local: &str) -> Option<&Node> {
        self.item.specific.iter().find(|n| n.local == local)
    }

    fn field(&self, uri: &str) -> Option<Vec<String>> {
        let item = self.item;
        let one = |v: String| Some(vec![v]);
        let name = uri.split_once(':').map_or(uri, |(_, n)| n);
        match uri {
            "item:ItemId" => return one(self.ctx.id(IdKind::Item, item.seq)),
            "item:ParentFolderId" => return one(self.ctx.id(IdKind::Folder, item.parent)),
            "item:ItemClass" => return one(item.item_class.clone()),
            "item:Subject" => return one(item.subject.clone()),
            "item:Sensitivity" => return one(item.sensitivity.clone()),
            "item:Importance" => return one(item.importance.clone()),
            "item:Body" => return item.body.as_ref().map(|b| vec![b.text.clone()]),
            "item:DateTimeReceived" => return one(item.received.clone()),
            "item:DateTimeSent" => return one(item.sent.clone()),
            "item:DateTimeCreated" => return one(item.created.clone()),
            "item:LastModifiedTime" => return one(item.modified.clone()),
            "item:Size" => return one(item.size().to_string()),
            "item:Categories" => return non_empty(item.categories.clone()),
            "item:IsDraft" => return one(item.is_draft.to_string()),
            "item:HasAttachments" => return one("false".into()),
            "item:IsAssociated" => return one(is_associated(item).to_string()),
            "message:IsRead" => return one(item.is_read.to_string()),
            "message:ConversationTopic" if self.specific(name).is_none() => {
                return one(item.subject.clone());
            }
            "contacts:DisplayName" => return display_name(item).map(|n| vec![n]),
            _ => {}
        }
        let mut values = Vec::new();
        node_values(self.specific(name)?, &mut values);
        non_empty(values)
    }

    /// `contacts:EmailAddress` `EmailAddress1` → the `Entry Key="EmailAddress1"` of
    /// `EmailAddresses`; `contacts:PhysicalAddress:City` `Business` → that entry's `City`.
    fn indexed(&self, uri: &str, index: &str) -> Option<Vec<String>> {
        let mut parts = uri.split(':').skip(1);
        let field = parts.next()?;
        let member = parts.next();
        let container = if field.ends_with("ss") {
            format!("{field}es")
        } else {
            format!("{field}s")
        };
        let entry = self
            .specific(&container)?
            .children
            .iter()
            .find(|e| e.attrs.iter().any(|(k, v)| k == "Key" && v == index))?;
        let node = match member {
            Some(m) => entry.children.iter().find(|c| c.local == m)?,
            None => entry,
        };
        let mut values = Vec::new();
        node_values(node, &mut values);
        non_empty(values)
    }

    /// Extended properties: the few MAPI tags backed by item fields, else the bag.
    fn extended(&self, key: &ExtendedKey) -> Option<Vec<String>> {
        if let ExtendedTarget::Tag(tag) = key.target {
            let item = self.item;
            let importance = match item.importance.as_str() {
                "Low" => "0",
                "High" => "2",
                _ => "1",
            };
            let derived = match (tag, key.property_type.as_str()) {
                (0x0037, "String") => Some(item.subject.clone()),
                (0x001a, "String") => Some(item.item_class.clone()),
                (0x0e08, "Integer") => Some(item.size().to_string()),
                (0x0017, "Integer") => Some(importance.to_string()),
                (0x0e06, "SystemTime") => Some(item.received.clone()),
                _ => None,
            };
            if let Some(value) = derived {
                return Some(vec![value]);
            }
        }
        self.item.properties.get(key).map(<[String]>::to_vec)
    }
}

impl PropertySource for ItemProperties<'_> {
    fn single(&self, path: &PropertyPath) -> Option<&str> {
        let PropertyPath::Field(uri) = path else {
            return None;
        };
        let item = self.item;
        Some(match uri.as_str() {
            "item:ItemClass" => &item.item_class,
            "item:Subject" => &item.subject,
            "item:Sensitivity" => &item.sensitivity,
            "item:Importance" => &item.importance,
            "item:DateTimeReceived" => &item.received,
            "item:DateTimeSent" => &item.sent,
            "item:DateTimeCreated" => &item.created,
            "item:LastModifiedTime" => &item.modified,
            _ => return None,
        })
    }

    fn values(&self, path: &PropertyPath) -> Option<Vec<String>> {
        match path {
            PropertyPath::Field(uri) => self.field(uri),
            PropertyPath::Indexed { uri, index } => self.indexed(uri, index),
            PropertyPath::Extended(key) => self.extended(key),
        }
    }
}

/// A contact's display name: `DisplayName`, else `FileAs`, else `GivenName Surname`.
fn display_name(item: &Item) -> Option<String> {
    let text = |local: &str| {
        item.specific
            .iter()
            .find(|n| n.local == local)
            .and_then(|n| n.text.clone())
            .filter(|t| !t.trim().is_empty())
    };
    text("DisplayName").or_else(|| text("FileAs")).or_else(|| {
        let names: Vec<String> = ["GivenName", "Surname"]
            .iter()
            .filter_map(|n| text(n))
            .collect();
        (!names.is_empty()).then(|| names.join(" "))
    })
}

/// A value prepared for sorting once: numbers, instants and booleans by value, text ignoring
/// case ([`compare_values`] order, without re-parsing at every comparison).
#[derive(Debug, Clone, PartialEq, Eq)]
enum SortValue {
    Missing,
    Integer(i64),
    Instant(i64),
    Boolean(bool),
    Text(String),
}

impl SortValue {
    fn of(value: Option<&str>) -> SortValue {
        let Some(value) = value else {
            return SortValue::Missing;
        };
        let trimmed = value.trim();
        if let Ok(n) = trimmed.parse() {
            SortValue::Integer(n)
        } else if let Some(ms) = parse_instant(trimmed) {
            SortValue::Instant(ms)
        } else if matches!(trimmed, "true" | "false") {
            SortValue::Boolean(trimmed == "true")
        } else {
            SortValue::Text(value.to_lowercase())
        }
    }

    fn cmp(&self, other: &SortValue) -> Ordering {
        use SortValue::*;
        match (self, other) {
            (Missing, Missing) => Ordering::Equal,
            (Missing, _) => Ordering::Less,
            (_, Missing) => Ordering::Greater,
            (Integer(a), Integer(b)) | (Instant(a), Instant(b)) => a.cmp(b),
            (Boolean(a), Boolean(b)) => a.cmp(b),
            (Text(a), Text(b)) => a.cmp(b),
            (a, b) => compare_values(&a.text(), &b.text()),
        }
    }

    fn text(&self) -> String {
        match self {
            SortValue::Missing => String::new(),
            SortValue::Integer(n) | SortValue::Instant(n) => n.to_string(),
            SortValue::Boolean(b) => b.to_string(),
            SortValue::Text(t) => t.clone(),
        }
    }
}

fn directed(ordering: Ordering, descending: bool) -> Ordering {
    if descending {
        ordering.reverse()
    } else {
        ordering
    }
}

/// One word of a QueryString and the property it is limited to.
struct QueryWord {
    property: Option<&'static str>,
    word: String,
}

fn parse_query(query: &str) -> Vec<QueryWord> {
    let mut words = Vec::new();
    let mut rest = query.trim();
    while !rest.is_empty() {
        let (mut token, after) = if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted.find('"').unwrap_or(quoted.len());
            (&quoted[..end], quoted.get(end + 1..).unwrap_or(""))
        } else {
            // `name:"a phrase"` runs to the closing quote, a bare word to the next space.
            let end = match rest.find(":\"") {
                Some(colon) if !rest[..colon].contains(char::is_whitespace) => rest[colon + 2..]
                    .find('"')
                    .map_or(rest.len(), |close| colon + 3 + close),
                _ => rest.find(char::is_whitespace).unwrap_or(rest.len()),
            };
            (&rest[..end], &rest[end..])
        };
        rest = after.trim_start();
        let mut property = None;
        if let Some((name, word)) = token.split_once(':') {
            property = match name.to_ascii_lowercase().as_str() {
                "subject" => Some("item:Subject"),
                "body" => Some("item:Body"),
                "from" => Some("message:From"),
                _ => None,
            };
            if property.is_some() {
                token = word.trim_matches('"');
            }
        }
        if token.is_empty() || (property.is_none() && token == "AND") {
            continue;
        }
        words.push(QueryWord {
            property,
            word: token.to_lowercase(),
        });
    }
    words
}

fn query_matches(words: &[QueryWord], item: &ItemProperties<'_>) -> bool {
    let starts_a_word = |text: &str, word: &str| {
        let text = text.to_lowercase();
        text.match_indices(word).any(|(at, _)| {
            text[..at]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphanumeric())
        })
    };
    words.iter().all(|w| {
        let properties: &[&str] = match w.property {
            Some(p) => &[p][..],
            None => &["item:Subject", "item:Body"],
        };
        properties.iter().any(|p| {
            item.field(p)
                .is_some_and(|values| values.iter().any(|v| starts_a_word(v, &w.word)))
        })
    })
}

/// The entries of one parent, in result order, with their group (index into `groups`).
struct Ordered {
    seqs: Vec<u32>,
    /// For grouped results: the group index of each entry.
    groups: Option<Vec<usize>>,
}

impl FindItem {
    fn find(&self, ctx: &OpContext<'_>, mailbox: &Mailbox, parent: &FolderRef) -> Outcome {
        let folder_seq = ctx.resolve_folder(mailbox, parent)?;
        let quirks = &ctx.config.quirks;
        let ignore_filter = quirks.contains(&crate::Quirk::RestrictionIgnored);
        let ignore_sort = quirks.contains(&crate::Quirk::SortIgnored);
        if self
            .shape
            .additional
            .iter()
            .any(|p| matches!(p, PropertyPath::Field(uri) if NOT_IN_FIND.contains(&uri.as_str())))
        {
            return Err(ResponseError::new(
                ResponseCode::ErrorInvalidPropertyRequest,
            ));
        }
        let restriction = match &self.restriction {
            Some(_) if self.query.is_some() => {
                return Err(ResponseError::new(ResponseCode::ErrorInvalidRestriction));
            }
            Some(Err(_)) => return Err(ResponseError::new(ResponseCode::ErrorInvalidRestriction)),
            Some(Ok(_)) | None if ignore_filter => None,
            Some(Ok(r)) => Some(r),
            None => None,
        };
        let query = self
            .query
            .as_deref()
            .filter(|_| !ignore_filter)
            .map(parse_query);
        let window = self.calendar_window()?;
        if window.is_some()
            && mailbox.folders.get(folder_seq).map(|f| f.kind) != Some(FolderKind::Calendar)
        {
            return Err(ResponseError::new(
                ResponseCode::ErrorCalendarFolderIsInvalidForCalendarView,
            ));
        }

        let candidates: Box<dyn Iterator<Item = &Item>> = match self.traversal {
            Traversal::Shallow => Box::new(
                mailbox
                    .items
                    .in_folder(folder_seq)
                    .filter(|i| !is_associated(i)),
            ),
            Traversal::Associated => Box::new(
                mailbox
                    .items
                    .in_folder(folder_seq)
                    .filter(|i| is_associated(i)),
            ),
            Traversal::SoftDeleted if self.restriction.is_some() => Box::new(std::iter::empty()),
            Traversal::SoftDeleted => Box::new(mailbox.items.soft_deleted_in(folder_seq)),
        };
        let view_of = |item| ItemProperties { ctx, item };
        let matching: Vec<&Item> = candidates
            .filter(|item| {
                let props = view_of(item);
                restriction.is_none_or(|r| r.matches(&props))
                    && query.as_deref().is_none_or(|q| query_matches(q, &props))
                    && window.is_none_or(|w| overlaps(&props, w))
                    && self.in_contacts_range(item)
            })
            .collect();
        let ordered = self.order(ctx, mailbox, matching, ignore_sort);
        let total = ordered.seqs.len();
        let ((start, end), attributes) = match &self.view {
            ItemView::Paged(view) => view.page(total)?,
            ItemView::Calendar { max, .. } | ItemView::Contacts { max, .. } => {
                let end = max_entries(*max)?.map_or(total, |m| m.min(total));
                (
                    (0, end),
                    vec![("IncludesLastItemInRange", (end >= total).to_string())],
                )
            }
        };
        let mut root = Node::m("RootFolder");
        for (name, value) in attributes {
            root = root.attr(name, value);
        }
        root = root.attr("TotalItemsInView", total.to_string());
        let node_of = |seq: &u32| {
            mailbox
                .items
                .get(*seq)
                .map(|item| find_node(ctx.item_node(mailbox, item, &self.shape)))
        };
        let page = &ordered.seqs[start..end];
        let payload = match &ordered.groups {
            None => Node::t("Items").children(page.iter().filter_map(node_of)),
            Some(groups) => {
                let mut grouped: Vec<(usize, Vec<Node>)> = Vec::new();
                for (seq, group) in page.iter().zip(&groups[start..end]) {
                    let node = node_of(seq);
                    match grouped.last_mut() {
                        Some((g, nodes)) if g == group => nodes.extend(node),
                        _ => grouped.push((*group, node.into_iter().collect())),
                    }
                }
                Node::t("Groups").children(grouped.into_iter().map(|(group, nodes)| {
                    Node::t("GroupedItems")
                        .child(Node::t_text("GroupIndex", group.to_string()))
                        .child(Node::t("Items").children(nodes))
                }))
            }
        };
        Ok(Some(root.child(payload)))
    }

    /// The CalendarView's `[start, end)` in ms, checked.
    fn calendar_window(&self) -> Result<Option<(i64, i64)>, ResponseError> {
        let ItemView::Calendar { start, end, .. } = &self.view else {
            return Ok(None);
        };
        let (Some(start), Some(end)) = (parse_instant(start), parse_instant(end)) else {
            return Err(ResponseError::new(
                ResponseCode::ErrorCalendarEndDateIsEarlierThanStartDate,
            ));
        };
        if end < start {
            return Err(ResponseError::new(
                ResponseCode::ErrorCalendarEndDateIsEarlierThanStartDate,
            ));
        }
        if end - start > MAX_CALENDAR_SPAN_MS {
            return Err(ResponseError::new(
                ResponseCode::ErrorCalendarViewRangeTooBig,
            ));
        }
        Ok(Some((start, end)))
    }

    fn in_contacts_range(&self, item: &Item) -> bool {
        let ItemView::Contacts { initial, last, .. } = &self.view else {
            return true;
        };
        if !item.item_class.starts_with("IPM.Contact")
            && !item.item_class.starts_with("IPM.DistList")
        {
            return false;
        }
        let name = display_name(item).unwrap_or_default().to_lowercase();
        initial
            .as_deref()
            .is_none_or(|i| name.as_str() >= i.to_lowercase().as_str())
            && last
                .as_deref()
                .is_none_or(|l| name.as_str() <= l.to_lowercase().as_str())
    }

    /// Sorts (and groups) the matching items.
    fn order(
        &self,
        ctx: &OpContext<'_>,
        mailbox: &Mailbox,
        items: Vec<&Item>,
        ignore_sort: bool,
    ) -> Ordered {
        let default_key = match &self.view {
            ItemView::Calendar { .. } => Some(SortKey {
                path: PropertyPath::Field("calendar:Start".into()),
                descending: false,
            }),
            ItemView::Contacts { .. } => Some(SortKey {
                path: PropertyPath::Field("contacts:DisplayName".into()),
                descending: false,
            }),
            ItemView::Paged(_) => None,
        };
        let keys: Vec<&SortKey> = if self.sort.is_empty() || ignore_sort {
            default_key.iter().collect()
        } else {
            self.sort.iter().collect()
        };
        let first = |item: &Item, path: &PropertyPath| {
            let props = ItemProperties { ctx, item };
            let values;
            let value = match props.single(path) {
                Some(v) => Some(v),
                None => {
                    values = props.values(path);
                    values.as_ref().and_then(|v| v.first()).map(String::as_str)
                }
            };
            match value.and_then(|v| enum_rank(path, v)) {
                Some(rank) => SortValue::Integer(rank),
                None => SortValue::of(value),
            }
        };
        let mut rows: Vec<(Vec<SortValue>, u32)> = items
            .iter()
            .map(|item| {
                (
                    keys.iter().map(|k| first(item, &k.path)).collect(),
                    item.seq,
                )
            })
            .collect();
        rows.sort_by(|(a, sa), (b, sb)| {
            a.iter()
                .zip(b)
                .zip(&keys)
                .map(|((x, y), key)| directed(x.cmp(y), key.descending))
                .find(|o| o.is_ne())
                .unwrap_or_else(|| sa.cmp(sb))
        });
        let seqs: Vec<u32> = rows.into_iter().map(|(_, seq)| seq).collect();
        let Some(grouping) = &self.grouping else {
            return Ordered { seqs, groups: None };
        };
        // Group in sort order: each group's value, aggregate and members.
        let mut groups: Vec<(SortValue, SortValue, Vec<u32>)> = Vec::new();
        for seq in seqs {
            let Some(item) = mailbox.items.get(seq) else {
                continue;
            };
            let value = first(item, &grouping.by);
            let aggregate = first(item, &grouping.aggregate_on);
            match groups.iter_mut().find(|(v, _, _)| *v == value) {
                Some((_, best, members)) => {
                    let better = if grouping.maximum {
                        aggregate.cmp(best).is_gt()
                    } else {
                        aggregate.cmp(best).is_lt()
                    };
                    if better {
                        *best = aggregate;
                    }
                    members.push(seq);
                }
                None => groups.push((value, aggregate, vec![seq])),
            }
        }
        groups.sort_by(|(va, aa, _), (vb, ab, _)| {
            directed(aa.cmp(ab), grouping.descending).then_with(|| va.cmp(vb))
        });
        let mut ordered = Ordered {
            seqs: Vec::new(),
            groups: Some(Vec::new()),
        };
        for (index, (_, _, members)) in groups.into_iter().enumerate() {
            if let Some(g) = ordered.groups.as_mut() {
                g.extend(std::iter::repeat_n(index, members.len()));
            }
            ordered.seqs.extend(members);
        }
        ordered
    }
}

/// Whether a calendar item overlaps the window `[start, end)`.
fn overlaps(item: &ItemProperties<'_>, (start, end): (i64, i64)) -> bool {
    let instant = |uri: &str| {
        item.field(uri)
            .and_then(|v| v.first().and_then(|s| parse_instant(s)))
    };
    let (Some(item_start), Some(item_end)) = (instant("calendar:Start"), instant("calendar:End"))
    else {
        return false;
    };
    item_start < end && (item_end > start || (item_end == item_start && item_start >= start))
}

/// What FindItem leaves out of an item GetItem would write (see the module docs).
fn find_node(mut node: Node) -> Node {
    if node.local == "Item" {
        node.local = "Message".into();
    }
    node.children.retain(|c| {
        !matches!(
            c.local.as_str(),
            "Body"
                | "ToRecipients"
                | "CcRecipients"
                | "BccRecipients"
                | "RequiredAttendees"
                | "OptionalAttendees"
                | "Resources"
        )
    });
    for child in &mut node.children {
        if matches!(child.local.as_str(), "From" | "Sender" | "Organizer") {
            child.walk_mut(&mut |n| {
                if n.local == "Mailbox" {
                    n.children.retain(|c| c.local == "Name");
                }
            });
        }
    }
    node
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ServerConfig;
    use crate::mailbox::Directory;

    fn find(view: ItemView, sort: Vec<SortKey>) -> FindItem {
        FindItem {
            traversal: Traversal::Shallow,
            shape: ItemShape::ID_ONLY,
            view,
            grouping: None,
            restriction: None,
            sort,
            parents: vec![FolderRef::Distinguished {
                name: "inbox".into(),
                change_key: None,
                mailbox: None,
            }],
            query: None,
        }
    }

    /// Runs `test` over an inbox of four messages: `b` High, `a` Low, `b` Low, `c` High.
    fn with_inbox(test: impl FnOnce(&OpContext<'_>, &Mailbox)) {
        let config = ServerConfig::default();
        let directory = Directory {
            users: config.users.clone(),
            distribution_groups: Vec::new(),
        };
        let store = crate::mailbox::Store::new(1);
        let ctx = OpContext::for_test(&config, &directory, &store);
        let mut mailbox = Mailbox::new();
        let inbox = mailbox.folders.distinguished("inbox").expect("inbox");
        for (subject, importance) in [("b", "High"), ("a", "Low"), ("b", "Low"), ("c", "High")] {
            let seq = mailbox.items.insert(inbox, "IPM.Note", subject, true);
            mailbox.items.get_mut(seq).expect("item").importance = importance.into();
        }
        test(&ctx, &mailbox);
    }

    /// Subject and creation number of each entry, in result order.
    fn order(
        ctx: &OpContext<'_>,
        mailbox: &Mailbox,
        request: &FindItem,
    ) -> (Vec<String>, Option<Vec<usize>>) {
        let inbox = mailbox.folders.distinguished("inbox").expect("inbox");
        let items: Vec<&Item> = mailbox.items.in_folder(inbox).collect();
        let ordered = request.order(ctx, mailbox, items, false);
        let subjects = ordered
            .seqs
            .iter()
            .filter_map(|s| mailbox.items.get(*s))
            .map(|i| format!("{}{}", i.subject, i.seq))
            .collect();
        (subjects, ordered.groups)
    }

    fn by(uri: &str, descending: bool) -> SortKey {
        SortKey {
            path: PropertyPath::Field(uri.into()),
            descending,
        }
    }

    #[test]
    fn sorts_by_several_keys_with_ties_by_creation() {
        with_inbox(|ctx, mailbox| {
            let request = find(
                ItemView::Paged(PageView::All),
                vec![by("item:Subject", true), by("item:Importance", false)],
            );
            assert_eq!(order(ctx, mailbox, &request).0, ["c4", "b3", "b1", "a2"]);
            let request = find(
                ItemView::Paged(PageView::All),
                vec![by("item:Importance", false)],
            );
            assert_eq!(order(ctx, mailbox, &request).0, ["a2", "b3", "b1", "c4"]);
        });
    }

    #[test]
    fn groups_order_by_their_aggregate_then_value() {
        with_inbox(|ctx, mailbox| {
            let mut request = find(ItemView::Paged(PageView::All), Vec::new());
            request.grouping = Some(Grouping {
                by: PropertyPath::Field("item:Subject".into()),
                descending: true,
                aggregate_on: PropertyPath::Extended(ExtendedKey::tag(0x0017, "Integer")),
                maximum: true,
            });
            // b: max importance 2, c: 2, a: 0; descending, ties by group value.
            let (subjects, groups) = order(ctx, mailbox, &request);
            assert_eq!(subjects, ["b1", "b3", "c4", "a2"]);
            assert_eq!(groups, Some(vec![0, 0, 1, 2]));
            if let Some(g) = request.grouping.as_mut() {
                g.maximum = false;
            }
            // Minimum: b 0, c 2, a 0 → descending c, then a and b (by value).
            assert_eq!(order(ctx, mailbox, &request).0, ["c4", "a2", "b1", "b3"]);
        });
    }

    #[test]
    fn query_words_start_words_of_subject_or_body() {
        let words = parse_query(r#"subject:"quarterly rep" AND budget"#);
        assert_eq!(words.len(), 2);
        assert_eq!(words[0].property, Some("item:Subject"));
        assert_eq!(words[0].word, "quarterly rep");
        assert_eq!(words[1].word, "budget");
    }

    #[test]
    fn find_leaves_out_bodies_recipients_and_addresses() {
        let node = Node::t("Item")
            .child(Node::t("Body").text("x"))
            .child(Node::t("From").child(Node::t("Mailbox").children([
                Node::t_text("Name", "Alice"),
                Node::t_text("EmailAddress", "alice@contoso.com"),
            ])));
        let node = find_node(node);
        assert_eq!(node.local, "Message");
        assert!(node.find("Body").is_none());
        let mailbox = node.find("From").and_then(|f| f.find("Mailbox"));
        assert_eq!(mailbox.map(|m| m.children.len()), Some(1));
    }
}
