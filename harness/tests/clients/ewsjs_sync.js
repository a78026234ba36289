// ews-javascript-api scenarios of the sync area: ExchangeService.SyncFolderItems (paged with
// MoreChangesAvailable and the returned SyncState) and SyncFolderHierarchy.
//
// Usage: node ewsjs_sync.js SCENARIO --url URL --user USER --address SMTP (see
// ewsjs_scenarios.js). Changes are reported as [change type, subject or name] pairs (a deleted
// object's id is reported as the name it had).
'use strict';

const { ews, service, main } = require('./ewsjs_scenarios');

function changeList(collection) {
  const out = [];
  for (let i = 0; i < collection.Count; i++) out.push(collection._getItem(i));
  return out;
}

// Every page of SyncFolderItems from `state` until MoreChangesAvailable is false: the changes
// as pairs, the number of pages and the final state.
async function syncItems(svc, folderId, state, pageSize, names) {
  const props = new ews.PropertySet(ews.BasePropertySet.IdOnly, [ews.ItemSchema.Subject]);
  const changes = [];
  let pages = 0;
  for (;;) {
    const page = await svc.SyncFolderItems(folderId, props, [], pageSize, ews.SyncFolderItemsScope.NormalItems, state);
    pages += 1;
    for (const change of changeList(page)) {
      const type = ews.ChangeType[change.ChangeType];
      const id = change.ItemId.UniqueId;
      if (type === 'Create' || type === 'Update') {
        names[id] = change.Item.Subject;
        changes.push([type, change.Item.Subject]);
      } else if (type === 'ReadFlagChange') {
        changes.push([type, names[id] || id, change.IsRead]);
      } else {
        changes.push([type, names[id] || id]);
      }
    }
    state = page.SyncState;
    if (!page.MoreChangesAvailable) break;
    if (pages > 50) throw new Error('MoreChangesAvailable never became false');
  }
  return { changes, pages, state };
}

async function syncHierarchy(svc, folderId, state, names) {
  const props = new ews.PropertySet(ews.BasePropertySet.IdOnly, [ews.FolderSchema.DisplayName]);
  const result = await svc.SyncFolderHierarchy(folderId, props, state);
  const changes = changeList(result).map((change) => {
    const type = ews.ChangeType[change.ChangeType];
    const id = change.FolderId.UniqueId;
    if (type === 'Delete') return [type, names[id] || id];
    names[id] = change.Folder.DisplayName;
    return [type, change.Folder.DisplayName];
  });
  return { changes, state: result.SyncState, more: result.MoreChangesAvailable };
}

async function workFolder(svc, name) {
  const folder = new ews.Folder(svc);
  folder.DisplayName = `${name}-${process.pid}`;
  await folder.Save(ews.WellKnownFolderName.Inbox);
  return folder;
}

const scenarios = {
  // A folder of five (one unread) synced in pages of two; after a create, a delete and
  // MarkAllItemsAsRead the next sync yields exactly those changes; then nothing.
  async items(args) {
    const svc = service(args);
    const folder = await workFolder(svc, 'ewsjs-sync-items');
    try {
      const names = {};
      const messages = [];
      for (let i = 0; i < 5; i++) {
        const message = new ews.EmailMessage(svc);
        message.Subject = `m${i}`;
        message.IsRead = i !== 1;
        await message.Save(folder.Id);
        messages.push(message);
      }
      const initial = await syncItems(svc, folder.Id, null, 2, names);

      // (Item.Update is not used: the reference server's UpdateItem response lacks the
      // ConflictResults ews-javascript-api reads. MarkAllItemsAsRead makes the read-flag change.)
      const created = new ews.EmailMessage(svc);
      created.Subject = 'm5';
      await created.Save(folder.Id);
      await messages[2].Delete(ews.DeleteMode.HardDelete);
      await folder.MarkAllItemsAsRead(true);

      const after = await syncItems(svc, folder.Id, initial.state, 2, names);
      const final = await syncItems(svc, folder.Id, after.state, 2, names);
      return {
        initial: initial.changes,
        initial_pages: initial.pages,
        after_changes: after.changes,
        after_pages: after.pages,
        final: final.changes,
        final_state_stable: final.state === after.state,
      };
    } finally {
      await folder.Delete(ews.DeleteMode.HardDelete);
    }
  },

  // A new folder's subtree: empty, two subfolders created, one renamed, one deleted, nothing.
  async hierarchy(args) {
    const svc = service(args);
    const parent = await workFolder(svc, 'ewsjs-sync-hierarchy');
    try {
      const names = {};
      const empty = await syncHierarchy(svc, parent.Id, null, names);
      const alpha = new ews.Folder(svc);
      alpha.DisplayName = 'alpha';
      await alpha.Save(parent.Id);
      const beta = new ews.Folder(svc);
      beta.DisplayName = 'beta';
      await beta.Save(parent.Id);
      const created = await syncHierarchy(svc, parent.Id, empty.state, names);
      alpha.DisplayName = 'alpha renamed';
      await alpha.Update();
      const renamed = await syncHierarchy(svc, parent.Id, created.state, names);
      await beta.Delete(ews.DeleteMode.HardDelete);
      const deleted = await syncHierarchy(svc, parent.Id, renamed.state, names);
      const final = await syncHierarchy(svc, parent.Id, deleted.state, names);
      return {
        empty: empty.changes,
        created: created.changes,
        renamed: renamed.changes,
        deleted: deleted.changes,
        final: final.changes,
        more: [empty, created, renamed, deleted, final].some((r) => r.more),
      };
    } finally {
      await parent.Delete(ews.DeleteMode.HardDelete);
    }
  },
};

main(scenarios);
