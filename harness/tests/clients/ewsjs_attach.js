// ews-javascript-api scenarios of the attachment area (CreateAttachment, GetAttachment,
// DeleteAttachment). Usage and output as in ewsjs_scenarios.js; run by
// harness/tests/it/clients/attach.rs.
'use strict';

const { ews, service, main } = require('./ewsjs_scenarios');

const scenarios = {
  // A new message with a file attachment (AddFileAttachment) saved to Drafts, bound again with
  // its attachments, the attachment loaded (GetAttachment) and its content compared; then the
  // attachment removed (Attachments.Remove + Update: DeleteAttachment) and the message bound again.
  async file_attachment(args) {
    const svc = service(args);
    const text = `hello from ews-javascript-api ${process.pid}`;
    const message = new ews.EmailMessage(svc);
    message.Subject = `ewsjs attach ${process.pid}`;
    message.Body = new ews.MessageBody(ews.BodyType.Text, 'see attached');
    message.Attachments.AddFileAttachment('hello.txt', Buffer.from(text).toString('base64'));
    await message.Save(ews.WellKnownFolderName.Drafts);
    const shape = new ews.PropertySet(ews.BasePropertySet.FirstClassProperties, [
      ews.ItemSchema.Attachments,
      ews.ItemSchema.HasAttachments,
    ]);
    try {
      const bound = await ews.EmailMessage.Bind(svc, message.Id, shape);
      const count = bound.Attachments.Count;
      const attachment = bound.Attachments._getItem(0);
      await attachment.Load();
      const content = Buffer.from(attachment.Base64Content, 'base64').toString();
      const listed = { name: attachment.Name, size: attachment.Size, is_inline: attachment.IsInline };
      bound.Attachments.Remove(attachment);
      await bound.Update(ews.ConflictResolutionMode.AlwaysOverwrite);
      const after = await ews.EmailMessage.Bind(svc, message.Id, shape);
      return {
        has_attachments: bound.HasAttachments,
        count,
        ...listed,
        content_equal: content === text,
        content_length: Buffer.byteLength(text),
        count_after_remove: after.Attachments.Count,
        has_attachments_after_remove: after.HasAttachments,
      };
    } finally {
      await message.Delete(ews.DeleteMode.HardDelete);
    }
  },
};

main(scenarios);
