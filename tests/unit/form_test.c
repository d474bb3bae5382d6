/*
 * form_test.c: urlencoded forms and query strings (src/form.c), as Slack
 * slash commands, Mailgun's form posts and Meta's verification GET send
 * them. Decoding follows the WHATWG URL standard's
 * application/x-www-form-urlencoded parser: '+' is a space, %XX a byte, a
 * '%' not followed by two hex digits stays as it is, the first pair with a
 * name wins.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "form.h"

/* Asserts that name in data decodes to want (NULL: absent or empty). */
static void
assert_form(const char *data, const char *name, const char *want)
{
	const char *names[] = { name }, *reason = NULL;
	char *v = (char *)1;

	if (form_extract(data, strlen(data), names, &v, 1, 256, &reason) != 0)
		fail_msg("%s refused: %s", data, reason);
	if (want == NULL) {
		if (v != NULL)
			fail_msg("%s in %s: got \"%s\", want nothing", name, data, v);
		return;
	}
	if (v == NULL)
		fail_msg("%s in %s: got nothing, want \"%s\"", name, data, want);
	if (strcmp(v, want) != 0)
		fail_msg("%s in %s: got \"%s\", want \"%s\"", name, data, v, want);
	free(v);
}

/* The fields of Slack's published slash command (published.json slack_docs). */
static void
test_slash_command(void **state)
{
	static const char body[] = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J"
	    "&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar"
	    "&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
	    "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554"
	    "%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c44"
	    "7fce8b6703c";

	assert_form(body, "command", "/webhook-collect");
	assert_form(body, "team_id", "T1DC2JH3J");
	assert_form(body, "response_url",
	    "https://hooks.slack.com/commands/T1DC2JH3J/397700885554/96rGlfmibIGlgcZRskXaIFfN");
	assert_form(body, "text", NULL);      /* present, empty */
	assert_form(body, "nothere", NULL);
	assert_form(body, "comman", NULL);    /* names match whole */
}

/* Meta's verification GET (developers.facebook.com, "Verification Requests"). */
static void
test_meta_query(void **state)
{
	static const char q[] = "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock";

	assert_form(q, "hub.mode", "subscribe");
	assert_form(q, "hub.challenge", "1158201444");
	assert_form(q, "hub.verify_token", "meatyhamhock");
}

static void
test_decoding(void **state)
{
	assert_form("a=x+y", "a", "x y");
	assert_form("a=%41%62%2b", "a", "Ab+");
	assert_form("a=%e2%82%ac", "a", "\xe2\x82\xac");
	assert_form("a=100%", "a", "100%");          /* a lone % stays */
	assert_form("a=%4", "a", "%4");
	assert_form("a=%zz1", "a", "%zz1");
	assert_form("a=%%41", "a", "%A");
	assert_form("a%20b=1", "a b", "1");          /* names are decoded too */
	assert_form("a+b=2", "a b", "2");
	assert_form("a=1=2", "a", "1=2");            /* only the first '=' splits */
}

static void
test_pairs(void **state)
{
	assert_form("a=1&a=2", "a", "1");            /* the first pair wins */
	assert_form("a=&a=2", "a", "2");             /* ... unless it is empty */
	assert_form("&&a=1&&", "a", "1");
	assert_form("a", "a", NULL);                 /* a name without '=' is empty */
	assert_form("", "a", NULL);
	assert_form("=1&b=2", "b", "2");
	assert_form("b=2&", "b", "2");
}

/* Two names at once; a value too long or holding a NUL refuses the whole form. */
static void
test_several_and_limits(void **state)
{
	const char *names[] = { "timestamp", "token", "signature" }, *reason = NULL;
	char *v[3], big[400];
	static const char form[] = "signature=abc&timestamp=1700000000&token=tok";

	assert_int_equal(form_extract(form, strlen(form), names, v, 3, 256, &reason), 0);
	assert_string_equal(v[0], "1700000000");
	assert_string_equal(v[1], "tok");
	assert_string_equal(v[2], "abc");
	free(v[0]);
	free(v[1]);
	free(v[2]);

	assert_int_equal(form_extract("token=a%00b", 11, names + 1, v, 1, 256, &reason), -1);
	assert_non_null(strstr(reason, "NUL"));
	assert_null(v[0]);

	memcpy(big, "token=", 6);
	memset(big + 6, 'x', 257);
	big[263] = '\0';
	assert_int_equal(form_extract(big, strlen(big), names + 1, v, 1, 256, &reason), -1);
	assert_null(v[0]);
	big[262] = '\0'; /* exactly 256 */
	assert_int_equal(form_extract(big, strlen(big), names + 1, v, 1, 256, &reason), 0);
	assert_int_equal(strlen(v[0]), 256);
	free(v[0]);
	/* A long value under a name not asked for is no problem. */
	memcpy(big, "other", 5);
	big[262] = 'x';
	assert_int_equal(form_extract(big, strlen(big), names + 1, v, 1, 256, &reason), 0);
	assert_null(v[0]);
}

/* The data is bytes with a length: nothing after it is read. */
static void
test_length_bound(void **state)
{
	const char *names[] = { "a" }, *reason = NULL;
	char *v;

	assert_int_equal(form_extract("a=12345", 4, names, &v, 1, 256, &reason), 0);
	assert_string_equal(v, "12");
	free(v);
	assert_int_equal(form_extract("a=%41", 4, names, &v, 1, 256, &reason), 0);
	assert_string_equal(v, "%4");
	free(v);
}

/* Asserts form_sorted_concat's string for data. */
static void
assert_sorted(const char *data, const char *want, size_t want_len)
{
	char *out;
	size_t len;

	form_sorted_concat(data, strlen(data), &out, &len);
	if (len != want_len || memcmp(out, want, len) != 0)
		fail_msg("%s: got \"%s\" (%zu bytes), want \"%s\"", data, out, len, want);
	assert_int_equal(out[len], '\0');
	free(out);
}

/*
 * Twilio's signed string (twilio-python test_request_validator.py): pairs
 * decoded, sorted by name then value, each name followed by its value.
 */
static void
test_sorted_concat(void **state)
{
	(void)state;
	assert_sorted("To=%2B18005551212&CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234"
	    "&From=%2B14158675309", "CallSidCA1234567890ABCDECaller+14158675309Digits1234"
	    "From+14158675309To+18005551212", 82);
	assert_sorted("Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234",
	    "Digits1234Digits5678SidCA123SidAccountAC123", 43);
	/* A name without '=', empty segments, '+' as a space, a NUL kept by length. */
	assert_sorted("b&&a=x+y&c=%00", "ax yb" "c\0", 7);
	assert_sorted("", "", 0);
	/* Byte order: upper case before lower case, a prefix before a longer name. */
	assert_sorted("a=1&B=2&ab=3", "B2a1ab3", 7);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slash_command),
		cmocka_unit_test(test_meta_query),
		cmocka_unit_test(test_decoding),
		cmocka_unit_test(test_pairs),
		cmocka_unit_test(test_several_and_limits),
		cmocka_unit_test(test_length_bound),
		cmocka_unit_test(test_sorted_concat),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
