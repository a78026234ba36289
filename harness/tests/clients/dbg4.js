const { ews, service } = require('./ewsjs_scenarios');
(async () => {
  const svc = service({ user: 'alice', password: 'alice-password', url: 'http://127.0.0.1:18931/EWS/Exchange.asmx' });
  const step = process.argv[2];
  if (step.includes('f')) { const f = await ews.Folder.Bind(svc, ews.WellKnownFolderName.Drafts); console.log('folder', f.TotalCount); }
  const draft = new ews.EmailMessage(svc);
  draft.Subject = 'dbg';
  draft.Body = new ews.MessageBody(ews.BodyType.Text, 'First version');
  draft.ToRecipients.Add('bob@contoso.com');
  await draft.Save(ews.WellKnownFolderName.Drafts);
  try { const b = await ews.EmailMessage.Bind(svc, new ews.ItemId(draft.Id.UniqueId)); console.log('bound', b.Subject); } catch (e) { console.log('ERR', e.message, e.stack.split('\n').slice(0,8).join('\n')); }
})().catch(e => console.log('TOP', e.message));
