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

const scenarios = {
  // GetSearchableMailboxes, which the reference server does not implement.
  async unimplemented_operation(args) {
    const response = await service(args).GetSearchableMailboxes('', false);
    return { mailboxes: response.SearchableMailboxes.length };
  },
};

function parseArgs(argv) {
  const args = { scenario: argv[0], password: process.env.EWS_CLIENT_PASSWORD };
  for (let i = 1; i < argv.length; i += 2) {
    args[argv[i].replace(/^--/, '')] = argv[i + 1];
  }
  return args;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const scenario = scenarios[args.scenario];
  if (!scenario) {
    console.error(`unknown scenario ${args.scenario}; known: ${Object.keys(scenarios).join(', ')}`);
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

main();
