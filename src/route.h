/*
 * route.h: which of a source's routes take a stored event, and the ordering
 * key of each delivery, decided in the worker from the event's type, body
 * and stored headers. Routes are built by config.c (struct route,
 * config.h); this module only reads them.
 */
#ifndef HOOKQ_ROUTE_H
#define HOOKQ_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

struct route;

/* A stored event as the routes see it; route_select() only reads it. */
struct route_event {
	const char *type;        /* NULL when the event has none */
	const char *headers;     /* the stored headers JSON object, names lowercased */
	size_t headers_len;
	const void *body;
	size_t body_len;
};

/*
 * For n routes (all of the event's source): accept[i] whether routes[i]
 * takes ev, and keys[i] its ordering key (malloc'd; NULL when the route has
 * no order or does not take ev). Parses the body at most once, only when some
 * route has a match or a JSON-path order, for every path they name; the
 * headers at most once, only for order = header:NAME.
 *
 * A route takes ev when its events list (if any) holds ev->type (a NULL
 * type passes no list) and every one of its matches holds. The body is
 * parsed only for the routes their events lists let through, and the
 * headers only for the routes still taking ev after their matches.
 *
 * A match holds when the body is one JSON value and the value at the
 * match's dotted path (keys through nested objects, never through arrays,
 * as payload_extract() reads them) is a scalar of the match's kind equal to
 * its value: strings as bytes once unescaped, numbers by value (the body's
 * read with strtod(), against route_match.number, which config.c reads so
 * too: 1.0 matches 1, 1e2 matches 100). A missing path, a container there,
 * a string or number longer than PAYLOAD_MAX_SCALAR (4096 bytes) or a body
 * that is not JSON make the match fail. A key given twice in an object:
 * the first occurrence counts, whatever it holds.
 *
 * The key of a route with order (a dotted JSON path, read as a match's
 * path): a string's unescaped text, a number as written, "true", "false"
 * or "null". With order_header (a lowercased name): that member of the
 * headers object, taken whole (a '.' in the name is part of it). Anything
 * else (absent, a container, too long, a string holding NUL, a body or
 * headers that are not JSON) gives "": the events without a key share that
 * one key, so they are delivered one at a time among themselves. A route
 * with both uses order (config.c allows only one).
 *
 * Never fails: bad input only refuses or empties; out of memory ends the
 * process (util.h). The caller frees each keys[i].
 */
void route_select(const struct route *const *routes, size_t n, const struct route_event *ev,
    bool *accept, char **keys);

#endif
