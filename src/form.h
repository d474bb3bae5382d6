/*
 * form.h: application/x-www-form-urlencoded data, as in form bodies (Slack
 * slash commands, Mailgun) and URL query strings (Meta's verification GET):
 * name=value pairs joined by '&', with '+' for a space and %XX for a byte
 * (WHATWG URL standard, "application/x-www-form-urlencoded parsing").
 */
#ifndef HOOKQ_FORM_H
#define HOOKQ_FORM_H

#include <stddef.h>

/*
 * For each of the n names, stores in values[i] a malloc'd, decoded copy of
 * the value of the first pair with that (decoded) name, or NULL when there
 * is none or it is empty. Returns 0; or -1 when a value found is longer
 * than max bytes decoded or holds a NUL, with *reason set (static) and every
 * values[i] NULL. Malformed escapes are kept as they are, as browsers do.
 */
int form_extract(const char *data, size_t len, const char *const *names, char **values,
    size_t n, size_t max, const char **reason);

/*
 * Writes into *out (malloc'd, *outlen bytes, NUL-terminated) every pair's
 * decoded name directly followed by its decoded value, the pairs sorted by
 * name and then by value, byte for byte: the string Twilio signs after the
 * URL. A name without '=' has an empty value.
 */
void form_sorted_concat(const char *data, size_t len, char **out, size_t *outlen);

#endif
