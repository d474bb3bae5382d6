/* placeholder: replaced by the real scheme tests */
#include "autoconf.h"
#include "testutil.h"
static void placeholder(void **state) { skip(); }
int main(void) { const struct CMUnitTest t[] = { cmocka_unit_test(placeholder) }; return cmocka_run_group_tests(t, NULL, NULL); }
