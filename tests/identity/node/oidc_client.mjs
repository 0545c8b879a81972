// Signs in through hookline's OpenID Connect provider with openid-client (npm), as a Node web app would.
// stdin, line 1: {"issuer", "client_id", "client_secret"?, "redirect_uri"}; the script prints
// {"authorize_url"}; stdin, line 2: {"callback"} (the URL the browser came back to); then it prints
// what it got: verified ID token claims, userinfo, a refresh, introspection and revocation.
import * as client from 'openid-client'
import { createInterface } from 'node:readline'

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]()
const read = async () => JSON.parse((await lines.next()).value)
const say = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')

const input = await read()
const auth = input.client_secret ? client.ClientSecretBasic(input.client_secret) : client.None()
// the test server speaks plain HTTP on 127.0.0.1; ID token signatures are checked against the JWKS
const config = await client.discovery(new URL(input.issuer), input.client_id, undefined, auth, {
  execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks],
})
const verifier = client.randomPKCECodeVerifier()
const nonce = client.randomNonce()
const state = client.randomState()
const url = client.buildAuthorizationUrl(config, {
  redirect_uri: input.redirect_uri,
  scope: 'openid profile email',
  code_challenge: await client.calculatePKCECodeChallenge(verifier),
  code_challenge_method: 'S256',
  nonce,
  state,
})
say({ authorize_url: url.href })

const { callback } = await read()
const tokens = await client.authorizationCodeGrant(config, new URL(callback), {
  pkceCodeVerifier: verifier,
  expectedNonce: nonce,
  expectedState: state,
  idTokenExpected: true,
})
const claims = tokens.claims()
const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub)
const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token)
const result = { claims, userinfo, refreshed: refreshed.access_token !== tokens.access_token }
if (input.client_secret) {
  result.introspection = await client.tokenIntrospection(config, refreshed.access_token)
}
await client.tokenRevocation(config, refreshed.refresh_token)
if (input.client_secret) {
  result.after_revocation = await client.tokenIntrospection(config, refreshed.access_token)
}
say(result)
process.exit(0)
