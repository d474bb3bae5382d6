#include "autoconf.h"
#include <string.h>
#include "route.h"
#include "util.h"
void
route_select(const struct route *const *routes, size_t n, const struct route_event *ev,
    bool *accept, char **keys)
{
	for (size_t i = 0; i < n; i++) {
		const struct route *r = routes[i];
		accept[i] = true;
		keys[i] = NULL;
		if (r->events != NULL) {
			accept[i] = false;
			for (size_t j = 0; ev->type && j < r->nevents; j++)
				if (strcmp(r->events[j], ev->type) == 0)
					accept[i] = true;
		}
		if (accept[i] && (r->order || r->order_header))
			keys[i] = xstrdup("");
	}
}
