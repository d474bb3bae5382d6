#ifndef HOOKQ_ROUTE_H
#define HOOKQ_ROUTE_H
#include <stdbool.h>
#include <stddef.h>
#include "config.h"
struct route_event {
	const char *type;
	const char *headers;
	size_t headers_len;
	const void *body;
	size_t body_len;
};
void route_select(const struct route *const *routes, size_t n, const struct route_event *ev,
    bool *accept, char **keys);
#endif
