// ews-javascript-api scenarios of the availability and settings area: GetUserAvailability
// (free/busy with the merged string) over appointments the scenario creates, user
// configurations (create, bind, update, delete), inbox rules and delegates.
//
// Usage: node ewsjs_avail.js SCENARIO --url URL --user USER --address SMTP (see
// ewsjs_scenarios.js for the output and the password).
'use strict';

const { ews, service, main } = require('./ewsjs_scenarios');

function list(collection) {
  const out = [];
  const count = typeof collection.Count === 'number' ? collection.Count : collection.length;
  for (let i = 0; i < count; i++) {
    out.push(collection._getItem ? collection._getItem(i) : collection[i]);
  }
  return out;
}

const scenarios = {
  // Two appointments of the user (busy 09:00-10:00, tentative 11:00-11:30 UTC on a day of 2031),
  // then GetUserAvailability for the user and bob over that day (the client sends the window as
  // dates), DetailedMerged by the half hour.
  async free_busy(args) {
    const svc = service(args);
    const tag = `js-fb-${process.pid}`;
    const made = [];
    for (const [start, end, status] of [
      ['2031-04-08T09:00:00Z', '2031-04-08T10:00:00Z', ews.LegacyFreeBusyStatus.Busy],
      ['2031-04-08T11:00:00Z', '2031-04-08T11:30:00Z', ews.LegacyFreeBusyStatus.Tentative],
    ]) {
      const appointment = new ews.Appointment(svc);
      appointment.Subject = `${tag} ${ews.LegacyFreeBusyStatus[status]}`;
      appointment.Start = new ews.DateTime(start);
      appointment.End = new ews.DateTime(end);
      appointment.LegacyFreeBusyStatus = status;
      await appointment.Save(ews.WellKnownFolderName.Calendar, ews.SendInvitationsMode.SendToNone);
      made.push(appointment);
    }
    try {
      const options = new ews.AvailabilityOptions();
      options.MergedFreeBusyInterval = 30;
      options.RequestedFreeBusyView = ews.FreeBusyViewType.DetailedMerged;
      const window = new ews.TimeWindow(new ews.DateTime('2031-04-08T00:00:00Z'), new ews.DateTime('2031-04-09T00:00:00Z'));
      const results = await svc.GetUserAvailability(
        [new ews.AttendeeInfo(args.address), new ews.AttendeeInfo('bob@contoso.com')],
        window,
        ews.AvailabilityData.FreeBusy,
        options,
      );
      return {
        tag,
        views: results.AttendeesAvailability.Responses.map((a) => ({
          result: ews.ServiceResult[a.Result],
          error: a.ErrorCode === undefined ? undefined : ews.ServiceError[a.ErrorCode],
          view_type: ews.FreeBusyViewType[a.ViewType],
          merged: (a.MergedFreeBusyStatus || []).map((s) => ews.LegacyFreeBusyStatus[s]),
          events: (a.CalendarEvents || []).map((e) => ({
            start: e.StartTime.ToISOString(),
            end: e.EndTime.ToISOString(),
            free_busy: ews.LegacyFreeBusyStatus[e.FreeBusyStatus],
            subject: e.Details ? e.Details.Subject : null,
          })),
        })),
      };
    } finally {
      for (const appointment of made) {
        await appointment.Delete(ews.DeleteMode.HardDelete, ews.SendCancellationsMode.SendToNone);
      }
    }
  },

  // A user configuration with a dictionary and binary data in the Inbox: create, bind with all
  // properties, update the dictionary, bind again, delete, and binding once more fails.
  async user_configuration(args) {
    const svc = service(args);
    const name = `js-config-${process.pid}`;
    const inbox = new ews.FolderId(ews.WellKnownFolderName.Inbox);
    const config = new ews.UserConfiguration(svc, ews.UserConfigurationProperties.All);
    config.Dictionary.Add('PhoneNumber', '555-555-1111');
    config.Dictionary.Add('Count', 7);
    config.BinaryData = 'AQID';
    await config.Save(name, inbox);
    const bound = await ews.UserConfiguration.Bind(svc, name, inbox, ews.UserConfigurationProperties.All);
    const read = {
      phone: bound.Dictionary._getItem('PhoneNumber'),
      count: bound.Dictionary._getItem('Count'),
      binary: bound.BinaryData,
    };
    bound.Dictionary._setItem('PhoneNumber', '111-111-5555');
    await bound.Update();
    const again = await ews.UserConfiguration.Bind(svc, name, inbox, ews.UserConfigurationProperties.Dictionary);
    const updated = again.Dictionary._getItem('PhoneNumber');
    await again.Delete();
    let afterDelete = null;
    try {
      await ews.UserConfiguration.Bind(svc, name, inbox, ews.UserConfigurationProperties.All);
    } catch (error) {
      afterDelete = error.ResponseCode === undefined ? String(error.message) : ews.ServiceError[error.ResponseCode];
    }
    return { name, read, updated, after_delete: afterDelete };
  },

  // GetInboxRules after creating a rule with UpdateInboxRules, then deleting it.
  async inbox_rules(args) {
    const svc = service(args);
    const tag = `js-rule-${process.pid}`;
    const rule = new ews.Rule();
    rule.DisplayName = `${tag} flag`;
    rule.Priority = 1;
    rule.IsEnabled = true;
    rule.Conditions.ContainsSubjectStrings.Add(tag);
    rule.Actions.MarkAsRead = true;
    await svc.UpdateInboxRules([new ews.CreateRuleOperation(rule)], true);
    const rules = list(await svc.GetInboxRules());
    const mine = rules.filter((r) => r.DisplayName === `${tag} flag`);
    const found = mine.map((r) => ({
      id: r.Id,
      name: r.DisplayName,
      priority: r.Priority,
      enabled: r.IsEnabled,
      subject_strings: list(r.Conditions.ContainsSubjectStrings),
      mark_as_read: r.Actions.MarkAsRead,
    }));
    if (mine.length) await svc.UpdateInboxRules([new ews.DeleteRuleOperation(mine[0].Id)], true);
    const left = list(await svc.GetInboxRules()).filter((r) => r.DisplayName === `${tag} flag`).length;
    return { tag, found, left };
  },

  // AddDelegates (carol, Editor on the inbox, Reviewer on the calendar), GetDelegates with
  // permissions, RemoveDelegates, as a delegate manager uses them.
  async delegates(args) {
    const svc = service(args);
    const me = new ews.Mailbox(args.address);
    const carol = new ews.DelegateUser('carol@contoso.com');
    carol.Permissions.InboxFolderPermissionLevel = ews.DelegateFolderPermissionLevel.Editor;
    carol.Permissions.CalendarFolderPermissionLevel = ews.DelegateFolderPermissionLevel.Reviewer;
    const added = await svc.AddDelegates(me, ews.MeetingRequestsDeliveryScope.DelegatesAndMe, [carol]);
    const info = await svc.GetDelegates(me, true);
    const listed = info.DelegateUserResponses.map((r) => ({
      result: ews.ServiceResult[r.Result],
      address: r.DelegateUser ? r.DelegateUser.UserId.PrimarySmtpAddress : null,
      inbox: r.DelegateUser ? ews.DelegateFolderPermissionLevel[r.DelegateUser.Permissions.InboxFolderPermissionLevel] : null,
      calendar: r.DelegateUser ? ews.DelegateFolderPermissionLevel[r.DelegateUser.Permissions.CalendarFolderPermissionLevel] : null,
    }));
    const removed = await svc.RemoveDelegates(me, [new ews.UserId('carol@contoso.com')]);
    const again = await svc.RemoveDelegates(me, [new ews.UserId('carol@contoso.com')]);
    return {
      added: added.map((r) => ews.ServiceResult[r.Result]),
      listed,
      delivery: ews.MeetingRequestsDeliveryScope[info.MeetingRequestsDeliveryScope],
      removed: removed.map((r) => ews.ServiceResult[r.Result]),
      removed_again: again.map((r) => ews.ServiceError[r.ErrorCode]),
    };
  },
};

main(scenarios);
