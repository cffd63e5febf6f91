/* A minimal unit-test harness: each MXT_TEST(name) is one CTest test
 * (tests/CMakeLists.txt scans the source for them). `prog name` runs one case,
 * `prog` runs all. A case returns by failing a CHECK or by MXT_SKIP (exit 77). */
#ifndef MXT_TEST_H
#define MXT_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*mxt_test_fn)(void);
struct mxt_test_case {
    const char *name;
    mxt_test_fn fn;
};

#define MXT_TEST_MAX 256
extern struct mxt_test_case mxt_test_cases[MXT_TEST_MAX];
extern int mxt_test_count;
extern int mxt_test_failed;

#define MXT_TEST(name)                                                                             \
    static void test_##name(void);                                                                 \
    __attribute__((constructor)) static void reg_##name(void) {                                    \
        if (mxt_test_count < MXT_TEST_MAX)                                                         \
            mxt_test_cases[mxt_test_count++] = (struct mxt_test_case){#name, test_##name};         \
    }                                                                                              \
    static void test_##name(void)

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            mxt_test_failed = 1;                                                                   \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                                         \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        if (a_ != b_) {                                                                            \
            fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, #a,    \
                    a_, #b, b_);                                                                   \
            mxt_test_failed = 1;                                                                   \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECK_NEAR(a, b, rel)                                                                      \
    do {                                                                                           \
        double a_ = (double)(a), b_ = (double)(b);                                                 \
        if (!(fabs(a_ - b_) <= (rel)*fabs(b_))) {                                                  \
            fprintf(stderr, "%s:%d: %s == %g, expected %g within %g\n", __FILE__, __LINE__, #a,    \
                    a_, b_, (double)(rel));                                                        \
            mxt_test_failed = 1;                                                                   \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define MXT_SKIP(why)                                                                              \
    do {                                                                                           \
        fprintf(stderr, "skip: %s\n", why);                                                        \
        exit(77);                                                                                  \
    } while (0)

#endif
