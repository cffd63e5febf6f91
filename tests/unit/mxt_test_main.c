/* Runner for the unit-test harness of mxt_test.h. */
#include "mxt_test.h"

struct mxt_test_case mxt_test_cases[MXT_TEST_MAX];
int mxt_test_count;
int mxt_test_failed;

int main(int argc, char **argv) {
    int ran = 0, failed = 0;
    for (int i = 0; i < mxt_test_count; i++) {
        if (argc > 1 && strcmp(argv[1], mxt_test_cases[i].name) != 0) continue;
        mxt_test_failed = 0;
        mxt_test_cases[i].fn();
        ran++;
        if (mxt_test_failed) {
            failed++;
            fprintf(stderr, "FAIL %s\n", mxt_test_cases[i].name);
        }
    }
    if (ran == 0) {
        fprintf(stderr, "no test case named '%s'\n", argc > 1 ? argv[1] : "");
        return 2;
    }
    return failed ? 1 : 0;
}
