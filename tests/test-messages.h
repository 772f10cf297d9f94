#pragma once

/* What the three sources of test-messages share: the values the examples
 * use, and each source's g_test_add_func() calls. */

#define U1 "2f1c6a8e-4b7d-4c1e-9a3b-0d5e6f708192"
#define U2 "7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e"
#define U3 "c0ffee00-1234-4abc-8def-0123456789ab"
#define TS 1700000000000
#define ENV "\"v\":1,\"id\":\"" U1 "\",\"ts\":1700000000000,"
#define ID32 "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
#define ID33 ID32 "6"
#define OK (-1)

void test_messages_add_kafka (void);
void test_messages_add_table (void);
