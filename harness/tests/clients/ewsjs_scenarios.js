// ews-javascript-api scenarios against an EWS endpoint (the reference server in the project's tests).
//
// Usage: node ewsjs_scenarios.js SCENARIO --url URL --user USER --address SMTP
// (the password comes from EWS_CLIENT_PASSWORD). Prints one JSON object on stdout:
// {"ok": true, ...results} when the scenario's own assertions hold, or
// {"ok": false, "error_class": ..., "message": ..., "response_code": ...} with the client's error
// as it shows it to its user.
'use strict';

const ews = require('ews-javascript-api');

function service(args) {
  const svc = new ews.ExchangeService(ews.ExchangeVersion.Exchange2013);
  svc.Credentials = new ews.WebCredentials(args.user, args.password);
  svc.Url = new ews.Uri(args.url);
  return svc;
}

function mailbox(address) {
  return { name: address.Name, email: address.Address, type: ews.MailboxType[address.MailboxType] };
}

function resolutions(collection) {
  const out = [];
  for (let i = 0; i < collection.Count; i++) out.push(collection._getItem(i));
  return out;
}

const scenarios = {
  // GetUserOofSettings of the user's own mailbox, as the client reads it.
  async oof_settings(args) {
    const oof = await service(args).GetUserOofSettings(args.address);
    return {
      state: ews.OofState[oof.State],
      audience: ews.OofExternalAudience[oof.ExternalAudience],
      allow_external: ews.OofExternalAudience[oof.AllowExternalOof],
      has_duration: oof.Duration !== null && oof.Duration !== undefined,
    };
  },

  // ResolveName (a unique name with contact details, an ambiguous one, nobody) and ExpandGroup
  // (a group with a nested group, then the nested one), as an address book uses them.
  async directory(args) {
    const svc = service(args);
    const where = ews.ResolveNameSearchLocation.DirectoryOnly;
    const unique = resolutions(await svc.ResolveName('carol', where, true));
    const ambiguous = resolutions(await svc.ResolveName('a', where, false));
    const nobody = await svc.ResolveName(`zz-nobody-${process.pid}`, where, false);
    const staff = await svc.ExpandGroup('all-staff@contoso.com');
    const nested = await svc.ExpandGroup('engineering@contoso.com');
    return {
      unique: unique.map((r) => mailbox(r.Mailbox)),
      unique_display_name: unique[0].Contact.DisplayName,
      unique_surname: unique[0].Contact.Surname,
      ambiguous: ambiguous.map((r) => mailbox(r.Mailbox)),
      nobody: nobody.Count,
      staff: staff.Members.map(mailbox),
      staff_count: staff.Count,
      staff_complete: staff.IncludesAllMembers,
      nested: nested.Members.map(mailbox),
    };
  },

  // GetSearchableMailboxes, which the reference server does not implement.
  async unimplemented_operation(args) {
    const response = await service(args).GetSearchableMailboxes('', false);
    return { mailboxes: response.SearchableMailboxes.length };
  },

  // Folder.Bind of well-known folders, FindFolders with a FolderView, and a folder's
  // create / update / delete, each result as the client reads it.
  async folder_lifecycle(args) {
    const svc = service(args);
    const inbox = await ews.Folder.Bind(svc, ews.WellKnownFolderName.Inbox);
    const calendar = await ews.Folder.Bind(svc, ews.WellKnownFolderName.Calendar);
    const name = `ewsjs-${process.pid}`;
    const folder = new ews.Folder(svc);
    folder.DisplayName = name;
    await folder.Save(inbox.Id);
    const createdId = folder.Id.UniqueId;
    const createdKey = folder.Id.ChangeKey;
    const found = await svc.FindFolders(inbox.Id, new ews.FolderView(10));
    const foundNames = found.Folders.map((f) => f.DisplayName);
    folder.DisplayName = `${name}-renamed`;
    await folder.Update();
    const rebound = await ews.Folder.Bind(svc, new ews.FolderId(createdId));
    const paged = await svc.FindFolders(ews.WellKnownFolderName.MsgFolderRoot, new ews.FolderView(3, 1));
    await folder.Delete(ews.DeleteMode.HardDelete);
    let afterDelete;
    try {
      await ews.Folder.Bind(svc, new ews.FolderId(createdId));
      afterDelete = 'still there';
    } catch (error) {
      afterDelete = error.ResponseCode === undefined ? error.message : ews.ServiceError[error.ResponseCode];
    }
    return {
      inbox_name: inbox.DisplayName,
      inbox_total_count: inbox.TotalCount,
      inbox_unread_count: inbox.UnreadCount,
      calendar_class: calendar.constructor.name,
      found_names: foundNames,
      found_total: found.TotalCount,
      renamed: rebound.DisplayName,
      change_key_moved: rebound.Id.ChangeKey !== createdKey,
      paged_count: paged.Folders.length,
      paged_more: paged.MoreAvailable,
      paged_next_offset: paged.NextPageOffset,
      paged_total: paged.TotalCount,
      after_delete: afterDelete,
      name,
    };
  },
};

function parseArgs(argv) {
  const args = { scenario: argv[0], password: process.env.EWS_CLIENT_PASSWORD };
  for (let i = 1; i < argv.length; i += 2) {
    args[argv[i].replace(/^--/, '')] = argv[i + 1];
  }
  return args;
}

// Runs the scenario named on the command line out of `table` (name → async function); the area
// scripts (`ewsjs_<area>.js`) call this with their own table.
async function main(table) {
  const args = parseArgs(process.argv.slice(2));
  const scenario = table[args.scenario];
  if (!scenario) {
    console.error(`unknown scenario ${args.scenario}; known: ${Object.keys(table).join(', ')}`);
    process.exit(2);
  }
  try {
    const result = await scenario(args);
    console.log(JSON.stringify({ ok: true, ...result }));
  } catch (error) {
    const code = error.ResponseCode === undefined ? undefined : ews.ServiceError[error.ResponseCode];
    console.log(JSON.stringify({
      ok: false,
      error_class: error.constructor ? error.constructor.name : typeof error,
      message: error.message || String(error),
      response_code: code,
    }));
  }
}

module.exports = { ews, service, mailbox, resolutions, main };

if (require.main === module) {
  main(scenarios);
}
