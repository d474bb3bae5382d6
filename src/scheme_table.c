/*
 * scheme_table.c: the built-in senders, one row each, and nothing else.
 *
 * Each row cites where the sender documents what it signs; its vectors
 * (tests/vectors/senders.json, made by make_sender_vectors.py) pin that
 * down, and the unit and integration sweeps read the names from here, so
 * a new row is tested by adding it and its vectors. scheme.c is the engine
 * that reads the rows.
 */
#include "autoconf.h"

#include <stddef.h>

#include "scheme.h"
#include "util.h"

#define HEADER(n) { FIELD_FROM_HEADER, n }
#define JSON(n) { FIELD_FROM_JSON, n }
#define FORM(n) { FIELD_FROM_FORM, n }
#define QUERY(n) { FIELD_FROM_QUERY, n }

const struct scheme SCHEME_TABLE[] = {
	/*
	 * GitHub: docs.github.com "Validating webhook deliveries":
	 * X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>.
	 */
	{
		.name = "github",
		.sig_header = "x-hub-signature-256",
		.sigs = { { "sha256=", SCHEME_HMAC_SHA256, SCHEME_HEX } },
		.signed_content = "%b",
		.key_format = SCHEME_KEY_RAW,
		.id = { HEADER("x-github-delivery") },
		.type = { HEADER("x-github-event") },
	},
	/*
	 * Stripe: docs.stripe.com/webhooks "Verify manually": Stripe-Signature:
	 * t=<unix>,v1=<hex>[,v1=…][,v0=…]; HMAC-SHA256 of "t.body" keyed with the
	 * whole whsec_ string; only v1 counts. Like Stripe's own libraries, only
	 * timestamps older than the tolerance are refused.
	 */
	{
		.name = "stripe",
		.sig_header = "stripe-signature",
		.sig_separator = ',',
		.sigs = { { "v1=", SCHEME_HMAC_SHA256, SCHEME_HEX } },
		.signed_content = "%t.%b",
		.ts_item = "t=",
		.ts_future_ok = true,
		.key_format = SCHEME_KEY_RAW,
		.id = { JSON("id") },
		.type = { JSON("type") },
	},
	/*
	 * Standard Webhooks (standardwebhooks.com, spec/standard-webhooks.md):
	 * webhook-signature is a space-separated list of "v1,<base64 HMAC-SHA256>"
	 * (whsec_ secrets) and "v1a,<base64 Ed25519>" (whpk_ public keys) over
	 * "id.timestamp.body"; other versions are skipped.
	 */
	{
		.name = "standard-webhooks",
		.sig_header = "webhook-signature",
		.sig_separator = ' ',
		.sigs = {
			{ "v1,", SCHEME_HMAC_SHA256, SCHEME_BASE64 },
			{ "v1a,", SCHEME_ED25519, SCHEME_BASE64 },
		},
		.signed_content = "%i.%t.%b",
		.ts_header = "webhook-timestamp",
		.key_format = SCHEME_KEY_WHSEC,
		.id = { HEADER("webhook-id") },
		.type = { JSON("type") },
	},
	/*
	 * Svix (docs.svix.com "Verifying payloads manually"): Standard Webhooks
	 * under the svix-id, svix-timestamp and svix-signature names.
	 */
	{
		.name = "svix",
		.sig_header = "svix-signature",
		.sig_separator = ' ',
		.sigs = {
			{ "v1,", SCHEME_HMAC_SHA256, SCHEME_BASE64 },
			{ "v1a,", SCHEME_ED25519, SCHEME_BASE64 },
		},
		.signed_content = "%i.%t.%b",
		.ts_header = "svix-timestamp",
		.key_format = SCHEME_KEY_WHSEC,
		.id = { HEADER("svix-id") },
		.type = { JSON("type") },
	},
	/*
	 * Shopify (shopify.dev "Verify webhooks"): X-Shopify-Hmac-Sha256 is the
	 * base64 HMAC-SHA256 of the body under the app's client secret.
	 * X-Shopify-Event-Id stays the same across retries of one event.
	 */
	{
		.name = "shopify",
		.sig_header = "x-shopify-hmac-sha256",
		.sigs = { { "", SCHEME_HMAC_SHA256, SCHEME_BASE64 } },
		.signed_content = "%b",
		.key_format = SCHEME_KEY_RAW,
		.id = { HEADER("x-shopify-event-id"), HEADER("x-shopify-webhook-id") },
		.type = { HEADER("x-shopify-topic") },
	},
	/*
	 * Slack (api.slack.com/authentication/verifying-requests-from-slack):
	 * X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:" ts ":" body>, ts in
	 * X-Slack-Request-Timestamp. Events API bodies are JSON; slash commands
	 * and interactivity post forms. The Events API's url_verification is
	 * answered with its challenge (api.slack.com/events/url_verification),
	 * and every other 200 is empty: a slash command shows the body to the user.
	 */
	{
		.name = "slack",
		.sig_header = "x-slack-signature",
		.sigs = { { "v0=", SCHEME_HMAC_SHA256, SCHEME_HEX } },
		.signed_content = "v0:%t:%b",
		.ts_header = "x-slack-request-timestamp",
		.key_format = SCHEME_KEY_RAW,
		.id = { JSON("event_id") },
		.id_body_hash = true,
		.type = { JSON("event.type"), JSON("type"), FORM("command") },
		.form_body = true,
		.handshakes = { {
			.method = "POST",
			.when = JSON("type"),
			.equals = "url_verification",
			.answer = { 200, "text/plain; charset=utf-8", SCHEME_ANSWER_ECHO,
			    .value = JSON("challenge") },
		} },
		.stored = { 200, "text/plain; charset=utf-8", SCHEME_ANSWER_TEXT, .text = "" },
	},
	/*
	 * Zendesk (developer.zendesk.com/documentation/webhooks/verifying):
	 * X-Zendesk-Webhook-Signature is base64(HMAC-SHA256(timestamp + body)),
	 * the timestamp an ISO 8601 time in
	 * X-Zendesk-Webhook-Signature-Timestamp ("anatomy of a webhook request").
	 * Trigger webhooks may send XML or form bodies: stored without a type.
	 */
	{
		.name = "zendesk",
		.sig_header = "x-zendesk-webhook-signature",
		.sigs = { { "", SCHEME_HMAC_SHA256, SCHEME_BASE64 } },
		.signed_content = "%t%b",
		.ts_header = "x-zendesk-webhook-signature-timestamp",
		.ts_format = SCHEME_TS_ISO8601,
		.key_format = SCHEME_KEY_RAW,
		.id = { HEADER("x-zendesk-webhook-invocation-id") },
		.id_body_hash = true,
		.type = { JSON("type") },
		.any_body = true,
	},
	/*
	 * GitLab (docs.gitlab.com "Webhooks"): X-Gitlab-Token carries the secret
	 * token itself, so it is compared in constant time and never stored.
	 * Idempotency-Key stays the same across retries; X-Gitlab-Event-UUID
	 * before GitLab sent it.
	 */
	{
		.name = "gitlab",
		.sig_header = "x-gitlab-token",
		.sigs = { { "", SCHEME_TOKEN, SCHEME_TEXT } },
		.signed_content = "",
		.key_format = SCHEME_KEY_RAW,
		.id = { HEADER("idempotency-key"), HEADER("x-gitlab-event-uuid") },
		.type = { HEADER("x-gitlab-event") },
		.unstored_sig_header = true,
	},
	/*
	 * Discord Webhook Events (discord.com/developers/docs/events/webhook-events):
	 * X-Signature-Ed25519 is the hex Ed25519 signature of timestamp + body
	 * under the application's public key (hex); a PING (type 0) wants 204.
	 */
	{
		.name = "discord",
		.sig_header = "x-signature-ed25519",
		.sigs = { { "", SCHEME_ED25519, SCHEME_HEX } },
		.signed_content = "%t%b",
		.ts_header = "x-signature-timestamp",
		.key_format = SCHEME_KEY_ED25519,
		.type = { JSON("event.type") },
		.handshakes = { {
			.method = "POST",
			.when = JSON("type"),
			.equals = "0",
			.answer = { 204, NULL, SCHEME_ANSWER_TEXT, .text = "" },
		} },
	},
	/*
	 * Discord Interactions endpoint (discord.com/developers/docs/interactions/
	 * receiving-and-responding): the same signature; a PING (type 1) wants
	 * {"type":1}; other interactions are deferred ({"type":5},
	 * DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE) for the handler to follow up.
	 * An autocomplete request (type 4) comes with each keystroke and wants
	 * its choices at once (type 8), which no queued handler can give: it is
	 * answered with no choices and not stored.
	 */
	{
		.name = "discord-interactions",
		.sig_header = "x-signature-ed25519",
		.sigs = { { "", SCHEME_ED25519, SCHEME_HEX } },
		.signed_content = "%t%b",
		.ts_header = "x-signature-timestamp",
		.key_format = SCHEME_KEY_ED25519,
		.id = { JSON("id") },
		.type = { JSON("data.name"), JSON("type") },
		.handshakes = { {
			.method = "POST",
			.when = JSON("type"),
			.equals = "1",
			.answer = { 200, "application/json", SCHEME_ANSWER_TEXT, .text = "{\"type\":1}" },
		}, {
			.method = "POST",
			.when = JSON("type"),
			.equals = "4",
			.answer = { 200, "application/json", SCHEME_ANSWER_TEXT,
			    .text = "{\"type\":8,\"data\":{\"choices\":[]}}" },
		} },
		.stored = { 200, "application/json", SCHEME_ANSWER_TEXT, .text = "{\"type\":5}" },
	},
	/*
	 * Paddle Billing (developer.paddle.com/webhooks/signature-verification):
	 * Paddle-Signature: ts=<unix>;h1=<hex HMAC-SHA256 of "ts:body">, more
	 * than one h1 while a secret is rotated.
	 */
	{
		.name = "paddle",
		.sig_header = "paddle-signature",
		.sig_separator = ';',
		.sigs = { { "h1=", SCHEME_HMAC_SHA256, SCHEME_HEX } },
		.signed_content = "%t:%b",
		.ts_item = "ts=",
		.key_format = SCHEME_KEY_RAW,
		.id = { JSON("event_id") },
		.type = { JSON("event_type") },
	},
	/*
	 * Linear (linear.app/developers/webhooks "Securing webhooks"):
	 * Linear-Signature is the hex HMAC-SHA256 of the body; the body's
	 * webhookTimestamp (ms) guards against replays.
	 */
	{
		.name = "linear",
		.sig_header = "linear-signature",
		.sigs = { { "", SCHEME_HMAC_SHA256, SCHEME_HEX } },
		.signed_content = "%b",
		.ts_body = { JSON("webhookTimestamp") },
		.ts_format = SCHEME_TS_UNIX_MS,
		.key_format = SCHEME_KEY_RAW,
		.id = { HEADER("linear-delivery") },
		.id_body_hash = true,
		.type = { JSON("type") },
	},
	/*
	 * PagerDuty v3 (developer.pagerduty.com "Verifying Signatures"):
	 * X-PagerDuty-Signature: v1=<hex HMAC-SHA256 of the body>[,v1=…].
	 */
	{
		.name = "pagerduty",
		.sig_header = "x-pagerduty-signature",
		.sig_separator = ',',
		.sigs = { { "v1=", SCHEME_HMAC_SHA256, SCHEME_HEX } },
		.signed_content = "%b",
		.key_format = SCHEME_KEY_RAW,
		.id = { JSON("event.id") },
		.type = { JSON("event.event_type") },
	},
	/*
	 * Jira Cloud (developer.atlassian.com "Webhooks", secure admin webhooks):
	 * X-Hub-Signature: sha256=<hex HMAC-SHA256 of the body>.
	 */
	{
		.name = "jira",
		.sig_header = "x-hub-signature",
		.sigs = { { "sha256=", SCHEME_HMAC_SHA256, SCHEME_HEX } },
		.signed_content = "%b",
		.key_format = SCHEME_KEY_RAW,
		.id = { HEADER("x-atlassian-webhook-identifier") },
		.id_body_hash = true,
		.type = { JSON("webhookEvent") },
	},
	/*
	 * Meta (developers.facebook.com/docs/graph-api/webhooks/getting-started):
	 * X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body> under the app
	 * secret; the verification GET echoes hub.challenge when hub.verify_token
	 * is the one typed into the dashboard.
	 */
	{
		.name = "meta",
		.sig_header = "x-hub-signature-256",
		.sigs = { { "sha256=", SCHEME_HMAC_SHA256, SCHEME_HEX } },
		.signed_content = "%b",
		.key_format = SCHEME_KEY_RAW,
		.type = { JSON("object") },
		.options = SCHEME_OPT_VERIFY_TOKEN,
		.handshakes = { {
			.method = "GET",
			.when = QUERY("hub.mode"),
			.equals = "subscribe",
			.token = QUERY("hub.verify_token"),
			.answer = { 200, "text/plain; charset=utf-8", SCHEME_ANSWER_ECHO,
			    .value = QUERY("hub.challenge") },
		} },
	},
	/*
	 * Zoom (developers.zoom.us/docs/api/webhooks): x-zm-signature:
	 * v0=<hex HMAC-SHA256 of "v0:" ts ":" body> under the secret token, ts in
	 * x-zm-request-timestamp; endpoint.url_validation wants plainToken and
	 * encryptedToken = hex HMAC-SHA256(secret token, plainToken).
	 */
	{
		.name = "zoom",
		.sig_header = "x-zm-signature",
		.sigs = { { "v0=", SCHEME_HMAC_SHA256, SCHEME_HEX } },
		.signed_content = "v0:%t:%b",
		.ts_header = "x-zm-request-timestamp",
		.key_format = SCHEME_KEY_RAW,
		.type = { JSON("event") },
		.handshakes = { {
			.method = "POST",
			.when = JSON("event"),
			.equals = "endpoint.url_validation",
			.answer = { 200, "application/json", SCHEME_ANSWER_TOKEN_MAC,
			    .value = JSON("payload.plainToken"), .key = "plainToken",
			    .mac_key = "encryptedToken" },
		} },
	},
	/*
	 * Mailgun (documentation.mailgun.com "Securing webhooks"): the body
	 * carries signature.timestamp, .token and .signature, the hex
	 * HMAC-SHA256 of timestamp + token under the webhook signing key; form
	 * posts (routes, legacy webhooks) carry timestamp, token and signature.
	 * Mailgun warns that its webhooks may be delayed, and retries for 8
	 * hours (user-manual/events/webhooks): whether a retry is signed afresh
	 * is not documented, so the default tolerance covers the whole retry
	 * window. The token is the event id, so a replay within it is a
	 * duplicate, not a second event.
	 */
	{
		.name = "mailgun",
		.sig_body = { JSON("signature.signature"), FORM("signature") },
		.sigs = { { "", SCHEME_HMAC_SHA256, SCHEME_HEX } },
		.signed_content = "%t%k",
		.ts_body = { JSON("signature.timestamp"), FORM("timestamp") },
		.tolerance = 9 * 3600,
		.token = { JSON("signature.token"), FORM("token") },
		.key_format = SCHEME_KEY_RAW,
		.id = { JSON("signature.token"), FORM("token") },
		.type = { JSON("event-data.event"), FORM("event") },
		.form_body = true,
	},
	/*
	 * Square (developer.squareup.com "Validate webhook event notifications"):
	 * x-square-hmacsha256-signature is the base64 HMAC-SHA256 of the
	 * notification URL + body under the subscription's signature key.
	 */
	{
		.name = "square",
		.sig_header = "x-square-hmacsha256-signature",
		.sigs = { { "", SCHEME_HMAC_SHA256, SCHEME_BASE64 } },
		.signed_content = "%u%b",
		.options = SCHEME_OPT_URL,
		.key_format = SCHEME_KEY_RAW,
		.id = { JSON("event_id") },
		.type = { JSON("type") },
	},
};

const size_t SCHEME_TABLE_SIZE = nitems(SCHEME_TABLE);
