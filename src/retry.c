/*
 * retry.c: exponential backoff with jitter.
 */
#include "autoconf.h"

#include <sodium.h>

#include "retry.h"

int64_t
retry_delay(int64_t base, int64_t max, int attempt, double jitter)
{
	int64_t d = base;
	int i;

	if (jitter < -RETRY_JITTER)
		jitter = -RETRY_JITTER;
	if (jitter > RETRY_JITTER)
		jitter = RETRY_JITTER;
	/* Doubling stops at max, so the product never overflows. */
	for (i = 1; i < attempt && d < max; i++)
		d *= 2;
	if (d > max)
		d = max;
	return (int64_t)((double)d * (1.0 + jitter) + 0.5);
}

double
retry_jitter(void)
{
	/* 2^20 steps over the interval is finer than any clock that will use it. */
	uint32_t r = randombytes_uniform(1U << 20);

	return RETRY_JITTER * (2.0 * (double)r / (double)((1U << 20) - 1) - 1.0);
}
