// ews-javascript-api scenarios of the search area (FindItem): FindItems with SearchFilters and
// ItemView paging, as the client reports them.
//
// Usage: node ewsjs_search.js SCENARIO --url URL --user USER --address SMTP
// (password from EWS_CLIENT_PASSWORD). Each scenario creates its own messages in a fresh
// mailbox's Inbox.

const { ews, service, main } = require('./ewsjs_scenarios');

// Saves `count` messages `msg 00 report|note` in the Inbox, in reverse subject order.
async function fillInbox(svc, count) {
  for (let i = count - 1; i >= 0; i--) {
    const message = new ews.EmailMessage(svc);
    message.Subject = `msg ${String(i).padStart(2, '0')} ${i % 3 === 0 ? 'report' : 'note'}`;
    message.Importance = i % 2 ? ews.Importance.High : ews.Importance.Low;
    await message.Save(ews.WellKnownFolderName.Inbox);
  }
}

function page(view, size, offset) {
  const v = new ews.ItemView(size, offset, ews.OffsetBasePoint.Beginning);
  v.PropertySet = new ews.PropertySet(ews.BasePropertySet.IdOnly, [ews.ItemSchema.Subject]);
  v.OrderBy.Add(ews.ItemSchema.Subject, ews.SortDirection.Ascending);
  return v;
}

function summary(results) {
  return {
    subjects: results.Items.map((item) => item.Subject),
    more_available: results.MoreAvailable,
    next_page_offset: results.NextPageOffset,
    total_count: results.TotalCount,
  };
}

const scenarios = {
  // ContainsSubstring + IsGreaterThan in a SearchFilterCollection (And), paged four at a time
  // until MoreAvailable is false; an Or collection; a filter nothing matches.
  async filters_and_paging(args) {
    const svc = service(args);
    await fillInbox(svc, 13);
    const reports = new ews.SearchFilter.ContainsSubstring(
      ews.ItemSchema.Subject, 'REPORT', ews.ContainmentMode.Substring, ews.ComparisonMode.IgnoreCase);
    const received = new ews.SearchFilter.IsGreaterThan(
      ews.ItemSchema.DateTimeReceived, ews.DateTime.Parse('2000-01-01T00:00:00Z'));
    const both = new ews.SearchFilter.SearchFilterCollection(ews.LogicalOperator.And, [reports, received]);
    const pages = [];
    let offset = 0;
    for (;;) {
      const results = await svc.FindItems(ews.WellKnownFolderName.Inbox, both, page(null, 2, offset));
      pages.push(summary(results));
      if (!results.MoreAvailable) break;
      offset = results.NextPageOffset;
    }
    const notes = new ews.SearchFilter.ContainsSubstring(
      ews.ItemSchema.Subject, 'msg 1', ews.ContainmentMode.Prefixed, ews.ComparisonMode.Exact);
    const either = new ews.SearchFilter.SearchFilterCollection(ews.LogicalOperator.Or, [reports, notes]);
    const future = new ews.SearchFilter.IsGreaterThan(
      ews.ItemSchema.DateTimeReceived, ews.DateTime.Parse('2999-01-01T00:00:00Z'));
    return {
      pages,
      either: summary(await svc.FindItems(ews.WellKnownFolderName.Inbox, either, page(null, 50, 0))),
      future: summary(await svc.FindItems(ews.WellKnownFolderName.Inbox, future, page(null, 50, 0))),
    };
  },

  // ItemView paging without a filter: the last page, and an offset past the end.
  async view_paging(args) {
    const svc = service(args);
    await fillInbox(svc, 7);
    const last = await svc.FindItems(ews.WellKnownFolderName.Inbox, page(null, 5, 5));
    const beyond = await svc.FindItems(ews.WellKnownFolderName.Inbox, page(null, 5, 20));
    return { last: summary(last), beyond: summary(beyond) };
  },
};

if (require.main === module) {
  main(scenarios);
}
