/*
 * retry.h: when a failed event runs again. The delay doubles with each
 * attempt from backoff_base up to backoff_max, then a random ±20% spreads
 * the retries of a burst of failures so they do not come back together.
 */
#ifndef HOOKQ_RETRY_H
#define HOOKQ_RETRY_H

#include <stdint.h>

#define RETRY_JITTER 0.2

/*
 * The delay in ms after attempt (1 for the first run) failed:
 * min(max, base * 2^(attempt - 1)) * (1 + jitter), jitter in
 * [-RETRY_JITTER, RETRY_JITTER].
 */
int64_t retry_delay(int64_t base, int64_t max, int attempt, double jitter);
/* A uniformly random jitter in [-RETRY_JITTER, RETRY_JITTER] (libsodium's generator). */
double retry_jitter(void);

#endif
