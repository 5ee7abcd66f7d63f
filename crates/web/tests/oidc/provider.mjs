// A real OpenID Connect provider on loopback for formwork's tests: the `oidc-provider` package
// (installed from npm through the lockfile), with one client and development interactions
// (any login name is accepted; the account's email is the login name).
//
// Usage: node provider.mjs REDIRECT_URI
// Prints one line of JSON, {"issuer": "http://127.0.0.1:PORT"}, then serves until killed.

import http from 'node:http';
import Provider from 'oidc-provider';

const redirectUri = process.argv[2];
if (!redirectUri) {
  console.error('usage: node provider.mjs REDIRECT_URI');
  process.exit(2);
}

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'formwork',
    client_secret: 'formwork-test-secret',
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  // Logins ending in "@unverified.test" have an email address the provider has not verified.
  findAccount: (ctx, id) => ({
    accountId: id,
    claims: () => ({ sub: `subject-${id}`, email: id, email_verified: !id.endsWith('@unverified.test'), name: `OIDC ${id.split('@')[0]}` }),
  }),
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['formwork-test-cookie-key'] },
  pkce: { required: () => true },
  ttl: { Interaction: 600, Session: 3600, Grant: 3600, AuthorizationCode: 60, IdToken: 600, AccessToken: 600 },
});
provider.proxy = false;
server.on('request', provider.callback());
console.log(JSON.stringify({ issuer }));
