// ews-javascript-api scenarios of sending (harness/tests/it/clients/send.rs): EmailMessage Save,
// Bind, Update, Send, SendAndSaveCopy and Delete, with bob's Inbox and alice's folders counted as
// the client reads them.
'use strict';

const { ews, service, main } = require('./ewsjs_scenarios');

// The reference server's second default user: user name `bob`, password `<name>-password`.
const BOB = { user: 'bob', password: 'bob-password', address: 'bob@contoso.com' };

async function total(svc, folder) {
  return (await ews.Folder.Bind(svc, folder)).TotalCount;
}

// The folder's TotalCount once it exceeds `above` (delivery may be asynchronous), within 10 s.
async function totalAbove(svc, folder, above) {
  const deadline = Date.now() + 10000;
  for (;;) {
    const count = await total(svc, folder);
    if (count > above || Date.now() > deadline) return count;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function codeOf(promise) {
  try {
    await promise;
    return 'no error';
  } catch (error) {
    return error.ResponseCode === undefined ? error.message : ews.ServiceError[error.ResponseCode];
  }
}

const scenarios = {
  // A draft saved, bound, edited and sent; a new message sent with a saved copy; a draft deleted.
  async email_lifecycle(args) {
    const svc = service(args);
    const bob = service({ ...args, ...BOB });
    const { Inbox, Drafts, SentItems } = ews.WellKnownFolderName;
    const inbox0 = await total(bob, Inbox);
    const drafts0 = await total(svc, Drafts);
    const sent0 = await total(svc, SentItems);
    const subject = `ewsjs send ${process.pid}`;

    const draft = new ews.EmailMessage(svc);
    draft.Subject = subject;
    draft.Body = new ews.MessageBody(ews.BodyType.Text, 'First version');
    draft.ToRecipients.Add(BOB.address);
    await draft.Save(Drafts);
    const draftId = draft.Id.UniqueId;
    const bound = await ews.EmailMessage.Bind(svc, new ews.ItemId(draftId));
    const boundIsDraft = bound.IsDraft;
    const boundTo = bound.ToRecipients.GetEnumerator().map((m) => m.Address);
    bound.Subject = `${subject} (edited)`;
    await bound.Update(ews.ConflictResolutionMode.AlwaysOverwrite);
    const edited = await ews.EmailMessage.Bind(svc, new ews.ItemId(draftId));
    const editedSubject = edited.Subject;
    const drafts1 = await total(svc, Drafts);
    await edited.SendAndSaveCopy();
    const draftAfterSend = await codeOf(ews.EmailMessage.Bind(svc, new ews.ItemId(draftId)));
    const inbox1 = await totalAbove(bob, Inbox, inbox0);
    const sent1 = await total(svc, SentItems);

    const fresh = new ews.EmailMessage(svc);
    fresh.Subject = `${subject} (new)`;
    // ews-javascript-api writes the body text unescaped, so markup must come escaped.
    fresh.Body = new ews.MessageBody(ews.BodyType.HTML, '&lt;p&gt;Sent at once&lt;/p&gt;');
    fresh.ToRecipients.Add(BOB.address);
    await fresh.Send();
    const inbox2 = await totalAbove(bob, Inbox, inbox1);
    const sent2 = await total(svc, SentItems);

    const dropped = new ews.EmailMessage(svc);
    dropped.Subject = `${subject} (dropped)`;
    await dropped.Save(Drafts);
    const droppedId = dropped.Id.UniqueId;
    await dropped.Delete(ews.DeleteMode.HardDelete);
    const droppedAfterDelete = await codeOf(ews.EmailMessage.Bind(svc, new ews.ItemId(droppedId)));

    return {
      bound_is_draft: boundIsDraft,
      bound_to: boundTo,
      edited_subject: editedSubject,
      subject,
      drafts: [drafts0, drafts1, await total(svc, Drafts)],
      draft_after_send: draftAfterSend,
      bob_inbox: [inbox0, inbox1, inbox2],
      sent_items: [sent0, sent1, sent2],
      dropped_after_delete: droppedAfterDelete,
    };
  },
};

main(scenarios);
