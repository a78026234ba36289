// ews-javascript-api scenarios of the discover area: AutodiscoverService.GetUserSettings with its
// Url set to the reference server's SOAP Autodiscover endpoint, GetServerTimeZones and
// GetRoomLists/GetRooms, as the client returns them.
//
// Usage: node ewsjs_discover.js SCENARIO --url URL --user USER --address SMTP
// (password from EWS_CLIENT_PASSWORD). `--url` is the EWS URL; Autodiscover is at its origin.
'use strict';

const { ews, service, main } = require('./ewsjs_scenarios');

function autodiscoverService(args) {
  const origin = new URL(args.url).origin;
  const svc = new ews.AutodiscoverService(ews.ExchangeVersion.Exchange2013);
  svc.Credentials = new ews.WebCredentials(args.user, args.password);
  svc.Url = new ews.Uri(`${origin}/autodiscover/autodiscover.svc`);
  return svc;
}

function setting(response, name) {
  const value = response.Settings.get(name);
  return value === undefined ? null : value;
}

const scenarios = {
  // GetUserSettings of the user: the EWS URLs, display name and supported schemas.
  async user_settings(args) {
    const svc = autodiscoverService(args);
    const response = await svc.GetUserSettings(args.address, [
      ews.UserSettingName.ExternalEwsUrl,
      ews.UserSettingName.InternalEwsUrl,
      ews.UserSettingName.UserDisplayName,
      ews.UserSettingName.EwsSupportedSchemas,
    ]);
    return {
      error_code: ews.AutodiscoverErrorCode[response.ErrorCode],
      external_ews_url: setting(response, ews.UserSettingName.ExternalEwsUrl),
      internal_ews_url: setting(response, ews.UserSettingName.InternalEwsUrl),
      display_name: setting(response, ews.UserSettingName.UserDisplayName),
      schemas: setting(response, ews.UserSettingName.EwsSupportedSchemas),
    };
  },

  // GetUserSettings of an address without a mailbox: the client's error code for the user.
  async unknown_user(args) {
    const svc = autodiscoverService(args);
    const response = await svc.GetUserSettings(`zz-nobody-${process.pid}@contoso.com`, [
      ews.UserSettingName.ExternalEwsUrl,
    ]);
    return {
      error_code: ews.AutodiscoverErrorCode[response.ErrorCode],
      error_message: response.ErrorMessage,
    };
  },

  // GetServerTimeZones: every zone, and Pacific time as the client parsed it.
  async timezones(args) {
    const zones = await service(args).GetServerTimeZones();
    const pacific = zones.find((z) => z.Id === 'Pacific Standard Time');
    return {
      count: zones.length,
      ids: zones.map((z) => z.Id).filter((id) => ['UTC', 'Pacific Standard Time', 'W. Europe Standard Time'].includes(id)),
      pacific_display_name: pacific ? pacific.DisplayName : null,
    };
  },

  // GetRoomLists, then GetRooms of the first list.
  async rooms(args) {
    const svc = service(args);
    const lists = await svc.GetRoomLists();
    const addresses = [];
    for (let i = 0; i < lists.Count; i++) addresses.push(lists._getItem(i).Address);
    const rooms = await svc.GetRooms(new ews.EmailAddress(addresses[0]));
    return {
      room_lists: addresses,
      rooms: rooms.map((r) => r.Address),
      room_names: rooms.map((r) => r.Name),
    };
  },
};

main(scenarios);
