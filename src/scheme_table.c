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

/*
 * The senders that deliver through Svix (Clerk, Resend) or sign as Standard
 * Webhooks (OpenAI, Replicate) have rows of their own names, so a source
 * says which sender it is; the rows are the same as svix's and
 * standard-webhooks'.
 */
#define SVIX_ROW(n) { \
	.name = n, \
	.sig_header = "svix-signature", \
	.sig_separator = ' ', \
	.sigs = { \
		{ "v1,", SCHEME_HMAC_SHA256, SCHEME_BASE64 }, \
		{ "v1a,", SCHEME_ED25519, SCHEME_BASE64 }, \
	}, \
	.signed_content = "%i.%t.%b", \
	.ts_header = "svix-timestamp", \
	.key_format = SCHEME_KEY_WHSEC, \
	.id = { HEADER("svix-id") }, \
	.type = { JSON("type") }, \
}
#define STANDARD_WEBHOOKS_ROW(n, type_field) { \
	.name = n, \
	.sig_header = "webhook-signature", \
	.sig_separator = ' ', \
	.sigs = { \
		{ "v1,", SCHEME_HMAC_SHA256, SCHEME_BASE64 }, \
		{ "v1a,", SCHEME_ED25519, SCHEME_BASE64 }, \
	}, \
	.signed_content = "%i.%t.%b", \
	.ts_header = "webhook-timestamp", \
	.key_format = SCHEME_KEY_WHSEC, \
	.id = { HEADER("webhook-id") }, \
	.type = { JSON(type_field) }, \
}

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
	STANDARD_WEBHOOKS_ROW("standard-webhooks", "type"),
	/*
	 * Svix (docs.svix.com "Verifying payloads manually"): Standard Webhooks
	 * under the svix-id, svix-timestamp and svix-signature names.
	 */
	SVIX_ROW("svix"),
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
	 * before GitLab sent it. A webhook with a signing token (gitlab-org/gitlab
	 * merge requests 230944 and 231325) signs as Standard Webhooks, with
	 * webhook-id the Idempotency-Key: a request with webhook-signature is
	 * verified so, under the secret_file's whsec_ lines.
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
		.alt_header = "webhook-signature",
		.alt_scheme = "standard-webhooks",
		.alt_key_prefix = "whsec_",
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
	/*
	 * Clerk (clerk.com/docs/guides/development/webhooks/overview): delivered
	 * by Svix, signed as svix is; the whsec_ signing secret of the endpoint.
	 */
	SVIX_ROW("clerk"),
	/* Resend (resend.com/docs/webhooks/verify-webhooks-requests): delivered by Svix. */
	SVIX_ROW("resend"),
	/*
	 * OpenAI (platform.openai.com/docs/guides/webhooks; openai-node
	 * src/resources/webhooks.ts): Standard Webhooks, whsec_ secret.
	 */
	STANDARD_WEBHOOKS_ROW("openai", "type"),
	/*
	 * Replicate (replicate.com/docs/topics/webhooks/verify-webhook): Standard
	 * Webhooks; the body is the prediction, its status the closest to a type.
	 */
	STANDARD_WEBHOOKS_ROW("replicate", "status"),
	/*
	 * HubSpot v3 (developers.hubspot.com .../authentication/request-validation):
	 * X-HubSpot-Signature-v3 is the base64 HMAC-SHA256 under the app's client
	 * secret of method + URI + body + timestamp, the URI the full URL HubSpot
	 * posts to (notification_url, written as HubSpot decodes it), the
	 * timestamp X-HubSpot-Request-Timestamp in ms, refused past 5 minutes.
	 * The body is an array of events: no single id or type in it.
	 */
	{
		.name = "hubspot",
		.sig_header = "x-hubspot-signature-v3",
		.sigs = { { "", SCHEME_HMAC_SHA256, SCHEME_BASE64 } },
		.signed_content = "POST%u%b%t",
		.options = SCHEME_OPT_URL,
		.ts_header = "x-hubspot-request-timestamp",
		.ts_format = SCHEME_TS_UNIX_MS,
		.key_format = SCHEME_KEY_RAW,
		.id_body_hash = true,
	},
	/*
	 * Twitch EventSub (dev.twitch.tv/docs/eventsub/handling-webhook-events):
	 * Twitch-Eventsub-Message-Signature: sha256=<hex HMAC-SHA256 of message id
	 * + timestamp + body> under the subscription's secret; the timestamp is
	 * RFC 3339 with nanoseconds, refused past 10 minutes. The id stays the
	 * same when Twitch resends. The webhook_callback_verification message is
	 * signed too and wants its challenge back as text/plain (twitch-cli
	 * internal/events/verify/subscription_verify.go); a revocation is stored.
	 */
	{
		.name = "twitch",
		.sig_header = "twitch-eventsub-message-signature",
		.sigs = { { "sha256=", SCHEME_HMAC_SHA256, SCHEME_HEX } },
		.signed_content = "%i%t%b",
		.ts_header = "twitch-eventsub-message-timestamp",
		.ts_format = SCHEME_TS_ISO8601,
		.tolerance = 600,
		.key_format = SCHEME_KEY_RAW,
		.id = { HEADER("twitch-eventsub-message-id") },
		.type = { HEADER("twitch-eventsub-subscription-type") },
		.handshakes = { {
			.method = "POST",
			.when = HEADER("twitch-eventsub-message-type"),
			.equals = "webhook_callback_verification",
			.answer = { 200, "text/plain; charset=utf-8", SCHEME_ANSWER_ECHO,
			    .value = JSON("challenge") },
		} },
	},
	/*
	 * Typeform (typeform.com/developers/webhooks/secure-your-webhooks):
	 * Typeform-Signature: sha256=<base64 HMAC-SHA256 of the body>.
	 */
	{
		.name = "typeform",
		.sig_header = "typeform-signature",
		.sigs = { { "sha256=", SCHEME_HMAC_SHA256, SCHEME_BASE64 } },
		.signed_content = "%b",
		.key_format = SCHEME_KEY_RAW,
		.id = { JSON("event_id") },
		.id_body_hash = true,
		.type = { JSON("event_type") },
	},
	/*
	 * Calendly (developer.calendly.com/api-docs/overview/webhooks/webhook-signatures):
	 * Calendly-Webhook-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">
	 * under the webhook signing key. No event id: the body's hash is one.
	 */
	{
		.name = "calendly",
		.sig_header = "calendly-webhook-signature",
		.sig_separator = ',',
		.sigs = { { "v1=", SCHEME_HMAC_SHA256, SCHEME_HEX } },
		.signed_content = "%t.%b",
		.ts_item = "t=",
		.key_format = SCHEME_KEY_RAW,
		.id_body_hash = true,
		.type = { JSON("event") },
	},
	/*
	 * Bitbucket Cloud (support.atlassian.com/bitbucket-cloud/docs/manage-webhooks,
	 * bitbucket.org/blog/enhanced-webhook-security): X-Hub-Signature:
	 * sha256=<hex HMAC-SHA256 of the body>; X-Event-Key is the type.
	 */
	{
		.name = "bitbucket",
		.sig_header = "x-hub-signature",
		.sigs = { { "sha256=", SCHEME_HMAC_SHA256, SCHEME_HEX } },
		.signed_content = "%b",
		.key_format = SCHEME_KEY_RAW,
		.id = { HEADER("x-request-uuid") },
		.id_body_hash = true,
		.type = { HEADER("x-event-key") },
	},
	/*
	 * Gitea (docs.gitea.com/usage/webhooks; services/webhook/deliver.go):
	 * X-Gitea-Signature is the hex HMAC-SHA256 of the JSON payload. With the
	 * form content type Gitea signs the JSON, not the form it sends: the
	 * hook must be set to application/json.
	 */
	{
		.name = "gitea",
		.sig_header = "x-gitea-signature",
		.sigs = { { "", SCHEME_HMAC_SHA256, SCHEME_HEX } },
		.signed_content = "%b",
		.key_format = SCHEME_KEY_RAW,
		.id = { HEADER("x-gitea-delivery") },
		.type = { HEADER("x-gitea-event") },
	},
	/* Forgejo (forgejo.org/docs/latest/user/webhooks): Gitea's, under X-Forgejo-* names. */
	{
		.name = "forgejo",
		.sig_header = "x-forgejo-signature",
		.sigs = { { "", SCHEME_HMAC_SHA256, SCHEME_HEX } },
		.signed_content = "%b",
		.key_format = SCHEME_KEY_RAW,
		.id = { HEADER("x-forgejo-delivery") },
		.type = { HEADER("x-forgejo-event") },
	},
	/*
	 * Sentry (docs.sentry.io/integrations/integration-platform/webhooks):
	 * Sentry-Hook-Signature is the hex HMAC-SHA256 of the body under the
	 * integration's client secret; Sentry-Hook-Resource is the type.
	 */
	{
		.name = "sentry",
		.sig_header = "sentry-hook-signature",
		.sigs = { { "", SCHEME_HMAC_SHA256, SCHEME_HEX } },
		.signed_content = "%b",
		.key_format = SCHEME_KEY_RAW,
		.id = { HEADER("request-id") },
		.id_body_hash = true,
		.type = { HEADER("sentry-hook-resource") },
	},
	/*
	 * WorkOS (workos.com/docs/events/data-syncing/webhooks; workos-node
	 * SignatureProvider.ts): WorkOS-Signature: t=<ms>, v1=<hex HMAC-SHA256 of
	 * "t.body">; its SDKs allow 180 s.
	 */
	{
		.name = "workos",
		.sig_header = "workos-signature",
		.sig_separator = ',',
		.sigs = { { "v1=", SCHEME_HMAC_SHA256, SCHEME_HEX } },
		.signed_content = "%t.%b",
		.ts_item = "t=",
		.ts_format = SCHEME_TS_UNIX_MS,
		.tolerance = 180,
		.key_format = SCHEME_KEY_RAW,
		.id = { JSON("id") },
		.type = { JSON("event") },
	},
	/*
	 * Coinbase Commerce (docs.cdp.coinbase.com/commerce .../webhooks-security;
	 * coinbase-commerce-node lib/Webhook.js): X-CC-Webhook-Signature is the hex
	 * HMAC-SHA256 of the body under the shared secret; the event is in "event".
	 */
	{
		.name = "coinbase-commerce",
		.sig_header = "x-cc-webhook-signature",
		.sigs = { { "", SCHEME_HMAC_SHA256, SCHEME_HEX } },
		.signed_content = "%b",
		.key_format = SCHEME_KEY_RAW,
		.id = { JSON("event.id") },
		.type = { JSON("event.type") },
	},
	/*
	 * Razorpay (razorpay.com/docs/webhooks/validate-test): X-Razorpay-Signature
	 * is the hex HMAC-SHA256 of the body under the webhook secret;
	 * x-razorpay-event-id is the id to drop a repeat by (best-practices).
	 */
	{
		.name = "razorpay",
		.sig_header = "x-razorpay-signature",
		.sigs = { { "", SCHEME_HMAC_SHA256, SCHEME_HEX } },
		.signed_content = "%b",
		.key_format = SCHEME_KEY_RAW,
		.id = { HEADER("x-razorpay-event-id") },
		.id_body_hash = true,
		.type = { JSON("event") },
	},
	/*
	 * Xero (developer.xero.com/documentation/webhooks/configuring-your-server):
	 * x-xero-signature is the base64 HMAC-SHA256 of the body under the
	 * webhook key; the answer has no body. Intent to Receive is a series of
	 * POSTs with an empty events list, some badly signed: 200 and 401 are
	 * its answers, so those requests are stored as events are.
	 */
	{
		.name = "xero",
		.sig_header = "x-xero-signature",
		.sigs = { { "", SCHEME_HMAC_SHA256, SCHEME_BASE64 } },
		.signed_content = "%b",
		.key_format = SCHEME_KEY_RAW,
		.id_body_hash = true,
		.stored = { 200, NULL, SCHEME_ANSWER_TEXT, .text = "" },
	},
	/*
	 * QuickBooks Online (developer.intuit.com .../webhooks/managing-webhooks-notifications;
	 * Java SDK WebhooksService.verifyPayload): intuit-signature is the base64
	 * HMAC-SHA256 of the body under the app's verifier token.
	 */
	{
		.name = "quickbooks",
		.sig_header = "intuit-signature",
		.sigs = { { "", SCHEME_HMAC_SHA256, SCHEME_BASE64 } },
		.signed_content = "%b",
		.key_format = SCHEME_KEY_RAW,
		.id_body_hash = true,
	},
	/*
	 * Lemon Squeezy (docs.lemonsqueezy.com/help/webhooks/signing-requests):
	 * X-Signature is the hex HMAC-SHA256 of the body; X-Event-Name the type.
	 */
	{
		.name = "lemonsqueezy",
		.sig_header = "x-signature",
		.sigs = { { "", SCHEME_HMAC_SHA256, SCHEME_HEX } },
		.signed_content = "%b",
		.key_format = SCHEME_KEY_RAW,
		.id_body_hash = true,
		.type = { HEADER("x-event-name") },
	},
	/*
	 * Paystack (paystack.com/docs/payments/webhooks): x-paystack-signature is
	 * the hex HMAC-SHA512 of the body under the account's secret key.
	 */
	{
		.name = "paystack",
		.sig_header = "x-paystack-signature",
		.sigs = { { "", SCHEME_HMAC_SHA512, SCHEME_HEX } },
		.signed_content = "%b",
		.key_format = SCHEME_KEY_RAW,
		.id_body_hash = true,
		.type = { JSON("event") },
	},
	/*
	 * Webflow (developers.webflow.com/data/docs/working-with-webhooks):
	 * x-webflow-signature is the hex HMAC-SHA256 of "timestamp:body" under
	 * the OAuth app's client secret, x-webflow-timestamp in ms, refused past
	 * 5 minutes.
	 */
	{
		.name = "webflow",
		.sig_header = "x-webflow-signature",
		.sigs = { { "", SCHEME_HMAC_SHA256, SCHEME_HEX } },
		.signed_content = "%t:%b",
		.ts_header = "x-webflow-timestamp",
		.ts_format = SCHEME_TS_UNIX_MS,
		.key_format = SCHEME_KEY_RAW,
		.id_body_hash = true,
		.type = { JSON("triggerType") },
	},
	/*
	 * Customer.io reporting webhooks (docs.customer.io/api/webhooks,
	 * "Securely Verifying Requests"): X-CIO-Signature is the hex HMAC-SHA256
	 * of "v0:" + X-CIO-Timestamp + ":" + body under the signing key.
	 */
	{
		.name = "customerio",
		.sig_header = "x-cio-signature",
		.sigs = { { "", SCHEME_HMAC_SHA256, SCHEME_HEX } },
		.signed_content = "v0:%t:%b",
		.ts_header = "x-cio-timestamp",
		.key_format = SCHEME_KEY_RAW,
		.id = { JSON("event_id") },
		.id_body_hash = true,
		.type = { JSON("metric") },
	},
	/*
	 * Persona (docs.withpersona.com/docs/webhooks-best-practices):
	 * Persona-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body"> under the
	 * wbhsec_ secret as it is; while a secret rotates, two such sets
	 * separated by a space.
	 */
	{
		.name = "persona",
		.sig_header = "persona-signature",
		.sig_separator = ',',
		.sig_separator2 = ' ',
		.sigs = { { "v1=", SCHEME_HMAC_SHA256, SCHEME_HEX } },
		.signed_content = "%t.%b",
		.ts_item = "t=",
		.ts_item_repeats = true,
		.key_format = SCHEME_KEY_RAW,
		.id = { JSON("data.id") },
		.id_body_hash = true,
		.type = { JSON("data.attributes.name") },
	},
	/*
	 * Mux (mux.com/docs/core/verify-webhook-signatures): Mux-Signature:
	 * t=<unix>,v1=<hex HMAC-SHA256 of "t.body"> under the endpoint's secret.
	 */
	{
		.name = "mux",
		.sig_header = "mux-signature",
		.sig_separator = ',',
		.sigs = { { "v1=", SCHEME_HMAC_SHA256, SCHEME_HEX } },
		.signed_content = "%t.%b",
		.ts_item = "t=",
		.key_format = SCHEME_KEY_RAW,
		.id = { JSON("id") },
		.type = { JSON("type") },
	},
	/*
	 * Box (developer.box.com/guides/webhooks/v2/signatures-v2):
	 * BOX-SIGNATURE-PRIMARY and -SECONDARY are the base64 HMAC-SHA256 of body
	 * + BOX-DELIVERY-TIMESTAMP (RFC 3339) under the primary and the secondary
	 * key: the secret_file holds both, either header may match. Refused past
	 * 10 minutes. The body's id stays the same on a retry.
	 */
	{
		.name = "box",
		.sig_header = "box-signature-primary",
		.sig_header2 = "box-signature-secondary",
		.sigs = { { "", SCHEME_HMAC_SHA256, SCHEME_BASE64 } },
		.signed_content = "%b%t",
		.ts_header = "box-delivery-timestamp",
		.ts_format = SCHEME_TS_ISO8601,
		.tolerance = 600,
		.key_format = SCHEME_KEY_RAW,
		.id = { JSON("id") },
		.id_body_hash = true,
		.type = { JSON("trigger") },
	},
	/*
	 * Dropbox (dropbox.com/developers/reference/webhooks): X-Dropbox-Signature
	 * is the hex HMAC-SHA256 of the body under the app secret; the
	 * verification GET ?challenge=... wants the challenge back as text/plain
	 * with nosniff. The body names accounts, not an event: its hash is the id.
	 */
	{
		.name = "dropbox",
		.sig_header = "x-dropbox-signature",
		.sigs = { { "", SCHEME_HMAC_SHA256, SCHEME_HEX } },
		.signed_content = "%b",
		.key_format = SCHEME_KEY_RAW,
		.id_body_hash = true,
		.handshakes = { {
			.method = "GET",
			.when = QUERY("challenge"),
			.answer = { 200, "text/plain; charset=utf-8", SCHEME_ANSWER_ECHO,
			    .value = QUERY("challenge") },
		} },
	},
	/*
	 * X, formerly Twitter (developer.x.com .../account-activity-api/guides/
	 * securing-webhooks): x-twitter-webhooks-signature: sha256=<base64
	 * HMAC-SHA256 of the body> under the consumer secret; the CRC GET
	 * ?crc_token=... wants {"response_token": "sha256=" + base64 HMAC-SHA256
	 * of the token}, which only the secret makes.
	 */
	{
		.name = "twitter",
		.sig_header = "x-twitter-webhooks-signature",
		.sigs = { { "sha256=", SCHEME_HMAC_SHA256, SCHEME_BASE64 } },
		.signed_content = "%b",
		.key_format = SCHEME_KEY_RAW,
		.id_body_hash = true,
		.handshakes = { {
			.method = "GET",
			.when = QUERY("crc_token"),
			.answer = { 200, "application/json", SCHEME_ANSWER_TOKEN_MAC,
			    .value = QUERY("crc_token"), .mac_key = "response_token",
			    .mac_encoding = SCHEME_BASE64, .mac_prefix = "sha256=" },
		} },
	},
	/*
	 * Postmark (postmarkapp.com/developer/webhooks/webhooks-overview) signs
	 * nothing: the webhook URL carries HTTP Basic credentials, which arrive
	 * as Authorization: Basic base64(user:password). A secret_file line is
	 * "user:password"; the header is never stored.
	 */
	{
		.name = "postmark",
		.sig_header = "authorization",
		.sigs = { { "Basic ", SCHEME_TOKEN, SCHEME_BASE64 } },
		.signed_content = "",
		.key_format = SCHEME_KEY_RAW,
		.id_body_hash = true,
		.type = { JSON("RecordType") },
		.any_body = true,          /* the credentials cover no byte of it */
		.unstored_sig_header = true,
	},
	/*
	 * Shopify Events (shopify.dev/docs/apps/build/events/verify-deliveries):
	 * Shopify-Hmac-Sha256 (no X-) is the base64 HMAC-SHA256 of the body under
	 * the app's client secret; Shopify-Webhook-Id is the id to drop repeats by.
	 */
	{
		.name = "shopify-events",
		.sig_header = "shopify-hmac-sha256",
		.sigs = { { "", SCHEME_HMAC_SHA256, SCHEME_BASE64 } },
		.signed_content = "%b",
		.key_format = SCHEME_KEY_RAW,
		.id = { HEADER("shopify-webhook-id") },
		.id_body_hash = true,
		.type = { JSON("topic") },
	},
	/*
	 * Trello (developer.atlassian.com/cloud/trello/guides/rest-api/webhooks):
	 * X-Trello-Webhook is the base64 HMAC-SHA1 of body + callbackURL (the
	 * URL as given when the webhook was made: notification_url) under the
	 * application's secret; the HEAD Trello sends when a webhook is made
	 * wants 200.
	 */
	{
		.name = "trello",
		.sig_header = "x-trello-webhook",
		.sigs = { { "", SCHEME_HMAC_SHA1, SCHEME_BASE64 } },
		.signed_content = "%b%u",
		.options = SCHEME_OPT_URL,
		.key_format = SCHEME_KEY_RAW,
		.id = { JSON("action.id") },
		.type = { JSON("action.type") },
		.handshakes = { {
			.method = "HEAD",
			.answer = { 200, "text/plain; charset=utf-8", SCHEME_ANSWER_TEXT, .text = "" },
		} },
	},
	/*
	 * Intercom (developers.intercom.com .../webhooks/webhook-notifications,
	 * "signed notifications"): X-Hub-Signature: sha1=<hex HMAC-SHA1 of the body>.
	 */
	{
		.name = "intercom",
		.sig_header = "x-hub-signature",
		.sigs = { { "sha1=", SCHEME_HMAC_SHA1, SCHEME_HEX } },
		.signed_content = "%b",
		.key_format = SCHEME_KEY_RAW,
		.id = { JSON("id") },
		.type = { JSON("topic") },
	},
	/*
	 * Vercel (vercel.com/docs/webhooks/webhooks-api, "Securing webhooks"):
	 * x-vercel-signature is the hex HMAC-SHA1 of the body.
	 */
	{
		.name = "vercel",
		.sig_header = "x-vercel-signature",
		.sigs = { { "", SCHEME_HMAC_SHA1, SCHEME_HEX } },
		.signed_content = "%b",
		.key_format = SCHEME_KEY_RAW,
		.id = { JSON("id") },
		.type = { JSON("type") },
	},
	/*
	 * Help Scout (developer.helpscout.com/webhooks): X-HelpScout-Signature is
	 * the base64 HMAC-SHA1 of the body; X-HelpScout-Event the type.
	 */
	{
		.name = "helpscout",
		.sig_header = "x-helpscout-signature",
		.sigs = { { "", SCHEME_HMAC_SHA1, SCHEME_BASE64 } },
		.signed_content = "%b",
		.key_format = SCHEME_KEY_RAW,
		.id_body_hash = true,
		.type = { HEADER("x-helpscout-event") },
	},
	/*
	 * Segment's Webhooks (Actions) destination (segment.com/docs/connections/
	 * destinations/catalog/actions-webhook): X-Signature is the hex HMAC-SHA1
	 * of the body under the shared secret. With batching on Segment signs the
	 * first event only, which cannot verify: turn batching off.
	 */
	{
		.name = "segment",
		.sig_header = "x-signature",
		.sigs = { { "", SCHEME_HMAC_SHA1, SCHEME_HEX } },
		.signed_content = "%b",
		.key_format = SCHEME_KEY_RAW,
		.id = { JSON("messageId") },
		.id_body_hash = true,
		.type = { JSON("type") },
	},
	/*
	 * Twilio (twilio.com/docs/usage/webhooks/webhooks-security; twilio-python
	 * tests/unit/test_request_validator.py): X-Twilio-Signature is the base64
	 * HMAC-SHA1, under the account's Auth Token, of the URL Twilio requested
	 * (notification_url, then "?" and the query string as sent) followed by
	 * every POST parameter sorted by name, each name then its value. A JSON
	 * body is covered by its hex SHA-256 in the bodySHA256 query parameter.
	 * Status callbacks repeat a Sid with each status: the body hash is the id.
	 */
	{
		.name = "twilio",
		.sig_header = "x-twilio-signature",
		.sigs = { { "", SCHEME_HMAC_SHA1, SCHEME_BASE64 } },
		.signed_content = "%u%q%f",
		.options = SCHEME_OPT_URL,
		.key_format = SCHEME_KEY_RAW,
		.id = { HEADER("i-twilio-idempotency-token") },
		.id_body_hash = true,
		.type = { FORM("MessageStatus"), FORM("CallStatus"), FORM("SmsStatus") },
		.form_body = true,
		.body_sha256_param = "bodySHA256",
	},
	/*
	 * SendGrid's signed Event Webhook (twilio.com/docs/sendgrid/for-developers/
	 * tracking-events/getting-started-event-webhook-security-features):
	 * X-Twilio-Email-Event-Webhook-Signature is the base64 DER ECDSA P-256
	 * signature of timestamp + body, checked with the verification key (a
	 * secret_file line: base64 of its DER SubjectPublicKeyInfo). SendGrid
	 * retries for 24 hours and does not say whether a retry is signed afresh,
	 * so the default tolerance covers that window. The body is an array.
	 */
	{
		.name = "sendgrid",
		.sig_header = "x-twilio-email-event-webhook-signature",
		.sigs = { { "", SCHEME_ECDSA_P256, SCHEME_BASE64 } },
		.signed_content = "%t%b",
		.ts_header = "x-twilio-email-event-webhook-timestamp",
		.tolerance = 25 * 3600,
		.key_format = SCHEME_KEY_P256,
		.id_body_hash = true,
	},
	/*
	 * AWS SNS to an HTTP/S endpoint (docs.aws.amazon.com/sns/latest/dg/
	 * sns-verify-signature-of-message.html): the JSON body's Signature is the
	 * base64 RSA signature (SignatureVersion 1: SHA-1, 2: SHA-256) of its
	 * fields Message, MessageId, Subject, SubscribeURL, Timestamp, Token,
	 * TopicArn and Type, those present, each as name, newline, value,
	 * newline; the key is the certificate at SigningCertURL. hookq fetches
	 * nothing: the operator pins the certificate (a secret_file line, base64
	 * of its DER). A retry keeps the message's Timestamp and MessageId, and
	 * SNS may retry for days: the tolerance is a week. A
	 * SubscriptionConfirmation is stored as an event, for the handler to GET
	 * its SubscribeURL.
	 */
	{
		.name = "aws-sns",
		.sig_body = { JSON("Signature") },
		.sig_version = JSON("SignatureVersion"),
		.sigs = {
			{ "", SCHEME_RSA_SHA1, SCHEME_BASE64 },
			{ "", SCHEME_RSA_SHA256, SCHEME_BASE64 },
		},
		.sig_versions = { "1", "2" },
		.signed_content = "%n",
		.signed_fields = { JSON("Message"), JSON("MessageId"), JSON("Subject"),
		    JSON("SubscribeURL"), JSON("Timestamp"), JSON("Token"), JSON("TopicArn"),
		    JSON("Type") },
		.ts_body = { JSON("Timestamp") },
		.ts_format = SCHEME_TS_ISO8601,
		.tolerance = 7 * 86400,
		.key_format = SCHEME_KEY_X509,
		.id = { JSON("MessageId") },
		.type = { JSON("Type") },
	},
};

const size_t SCHEME_TABLE_SIZE = nitems(SCHEME_TABLE);
