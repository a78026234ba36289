// ews-javascript-api scenarios of the notification operations against the reference server; see
// ewsjs_scenarios.js for the calling convention. Each scenario reports what the client itself
// delivers to its event handlers.
'use strict';

const { ews, service, main } = require('./ewsjs_scenarios');

function describe(event) {
  return {
    type: ews.EventType[event.EventType],
    item_id: event.ItemId ? event.ItemId.UniqueId : null,
    parent_folder_id: event.ParentFolderId ? event.ParentFolderId.UniqueId : null,
  };
}

const scenarios = {
  // SubscribeToStreamingNotifications on the Inbox and a StreamingSubscriptionConnection: a
  // message the scenario saves in the Inbox reaches OnNotificationEvent as a Created event;
  // Close() ends the connection (OnDisconnect), then Unsubscribe.
  async streaming(args) {
    const svc = service(args);
    const inbox = new ews.FolderId(ews.WellKnownFolderName.Inbox);
    const subscription = await svc.SubscribeToStreamingNotifications([inbox], ews.EventType.Created);
    const connection = new ews.StreamingSubscriptionConnection(svc, 1);
    connection.AddSubscription(subscription);
    let timer;
    const received = new Promise((resolve, reject) => {
      connection.OnNotificationEvent.push((sender, notification) => {
        resolve(notification.Events.map(describe));
      });
      connection.OnSubscriptionError.push((sender, failure) => reject(failure.Exception));
      timer = setTimeout(() => reject(new Error('no notification within 10 s')), 10000);
    });
    const disconnected = new Promise((resolve) => {
      connection.OnDisconnect.push(() => resolve(true));
    });
    connection.Open();
    const message = new ews.EmailMessage(svc);
    message.Subject = `client-notify-ewsjs-${process.pid}`;
    await message.Save(ews.WellKnownFolderName.Inbox);
    let events;
    try {
      events = await received;
    } finally {
      clearTimeout(timer);
    }
    connection.Close();
    const closed = await Promise.race([
      disconnected,
      new Promise((resolve) => setTimeout(() => resolve(false), 5000)),
    ]);
    await subscription.Unsubscribe();
    await message.Delete(ews.DeleteMode.HardDelete);
    return {
      subscription_id: subscription.Id,
      events,
      created: message.Id.UniqueId,
      closed,
    };
  },
};

if (require.main === module) {
  main(scenarios);
}
